#include "nn/activation.h"

#include "autograd/ops/layout.h"
#include "autograd/ops/unary.h"

namespace trit::nn {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Flatten::forward(const Tensor& input) { return flatten(input, start_dim_); }

}  // namespace trit::nn
