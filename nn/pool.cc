#include "nn/pool.h"

#include "autograd/error.h"
#include "autograd/ops/pool.h"

namespace trit::nn {
Pool2d::Pool2d(std::string type, int64_t kernel, int64_t stride, int64_t padding)
    : Module(std::move(type)),
      kernel_(kernel),
      stride_(stride ? stride : kernel),
      padding_(padding) {
  check(kernel_ > 0 && stride_ > 0 && padding_ >= 0, this->type(),
        "kernel " + std::to_string(kernel_) + ", stride " + std::to_string(stride_) + ", padding " +
            std::to_string(padding_) + ": kernel and stride must be positive");
}

std::string Pool2d::repr() const {
  std::string out = type() + "(" + std::to_string(kernel_);
  if (stride_ != kernel_) out += ", stride=" + std::to_string(stride_);
  if (padding_ != 0) out += ", padding=" + std::to_string(padding_);
  return out + ")";
}

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(input, kernel_, stride_, padding_);
}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(input, kernel_, stride_, padding_);
}

Tensor GlobalAvgPool2d::forward(const Tensor& input) { return global_avg_pool2d(input); }

}  // namespace trit::nn
