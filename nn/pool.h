// Pooling layers over NCHW planes (PyTorch's nn.MaxPool2d, nn.AvgPool2d and
// nn.AdaptiveAvgPool2d(1) + flatten); the ops are autograd/ops/pool.h.
//
//   MaxPool2d / AvgPool2d(kernel, stride = kernel, padding = 0):
//     [N, C, H, W] -> [N, C, OH, OW], OH = (H + 2 padding - kernel) / stride + 1 (floor).
//     A stride of 0 means "the kernel size", PyTorch's stride=None. AvgPool2d counts
//     padding as zeros (count_include_pad=true).
//   GlobalAvgPool2d: [N, C, H, W] -> [N, C], the mean of each plane.
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace trit::nn {

// The window settings shared by MaxPool2d and AvgPool2d.
class Pool2d : public Module {
 public:
  std::string repr() const override;  // "MaxPool2d(2)", "AvgPool2d(3, stride=2, padding=1)"

 protected:
  Pool2d(std::string type, int64_t kernel, int64_t stride, int64_t padding);
  int64_t kernel_, stride_, padding_;
};

class MaxPool2d : public Pool2d {
 public:
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : Pool2d("MaxPool2d", kernel, stride, padding) {}
  Tensor forward(const Tensor& input) override;
};

class AvgPool2d : public Pool2d {
 public:
  explicit AvgPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : Pool2d("AvgPool2d", kernel, stride, padding) {}
  Tensor forward(const Tensor& input) override;
};

class GlobalAvgPool2d : public Module {
 public:
  GlobalAvgPool2d() : Module("GlobalAvgPool2d") {}
  Tensor forward(const Tensor& input) override;
};

}  // namespace trit::nn
