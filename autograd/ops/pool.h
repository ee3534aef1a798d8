// Pooling over the planes of NCHW tensors.
//
// max_pool2d / avg_pool2d: x [N, C, H, W] -> [N, C, OH, OW], square kernel and stride,
//   OH = (H + 2 * padding - kernel) / stride + 1 (floor, PyTorch's ceil_mode=false), OW
//   likewise; padding <= kernel / 2 (as PyTorch).
//   max: padding never wins; saves the argmax index of every output (the first maximum in
//   window order) and routes each output gradient to it. avg: padding counts as zeros in
//   a divisor of kernel^2 (count_include_pad=true, PyTorch's default); saves nothing.
// global_avg_pool2d: x [N, C, H, W] -> [N, C], the mean of each plane; saves nothing.
// Errors name the op and shapes, e.g. "avg_pool2d: input [4,4] must be 4-d [N,C,H,W]".
#pragma once

#include <cstdint>

#include "autograd/tensor.h"

namespace trit {

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace trit
