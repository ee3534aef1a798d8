// Parameter-free layers: ReLU and Flatten (PyTorch's nn.ReLU and nn.Flatten).
//
//   ReLU:    max(x, 0) elementwise, any shape (autograd/ops/unary.h relu).
//   Flatten: merges dimensions start_dim.. into one, [N,C,H,W] -> [N,C*H*W] for the default
//            start_dim = 1 (autograd/ops/layout.h flatten; shares the input's storage).
#pragma once

#include <cstdint>

#include "nn/module.h"

namespace trit::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1) : Module("Flatten"), start_dim_(start_dim) {}
  Tensor forward(const Tensor& input) override;

 private:
  int64_t start_dim_;
};

}  // namespace trit::nn
