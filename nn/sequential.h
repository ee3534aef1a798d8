// Sequential: children applied in order, each one's output the next one's input (PyTorch's
// nn.Sequential). Children are named by the caller (add: "conv1") or by their index
// (push_back: "0", "1", ...), which gives the dotted parameter names ("conv1.weight").
// An empty Sequential returns its input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace trit::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);

  Sequential& add(const std::string& name, std::shared_ptr<Module> module);
  Sequential& push_back(std::shared_ptr<Module> module);  // named by its position
  size_t size() const { return children().size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return children().at(i).second; }

  Tensor forward(const Tensor& input) override;
};

}  // namespace trit::nn
