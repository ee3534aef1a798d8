// Helpers for the optimiser tests: set gradients by hand and take steps.
#pragma once

#include <vector>

#include "autograd/graph.h"
#include "autograd/tensor.h"
#include "optim/optimizer.h"

namespace trit::testing {

// Replaces the gradient of `param` with `values`.
inline void set_grad(Tensor param, const std::vector<float>& values) {
  param.zero_grad();
  float* grad = grad_buffer(param);
  for (size_t i = 0; i < values.size(); ++i) grad[i] = values[i];
}

// One optimiser step per entry of `grads` (each the gradient of `param` at that step).
inline void take_steps(optim::Optimizer& optimizer, Tensor param,
                       const std::vector<std::vector<float>>& grads) {
  for (const auto& g : grads) {
    set_grad(param, g);
    optimizer.step();
  }
}

}  // namespace trit::testing
