#include "nn/sequential.h"

namespace trit::nn {

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) : Module("Sequential") {
  for (const auto& module : modules) push_back(module);
}

Sequential& Sequential::add(const std::string& name, std::shared_ptr<Module> module) {
  register_module(name, std::move(module));
  return *this;
}

Sequential& Sequential::push_back(std::shared_ptr<Module> module) {
  return add(std::to_string(size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& child : children()) x = (*child.second)(x);
  return x;
}

}  // namespace trit::nn
