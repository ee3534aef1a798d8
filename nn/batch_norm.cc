#include "nn/batch_norm.h"

#include "autograd/error.h"
#include "autograd/ops/batch_norm.h"

namespace trit::nn {

BatchNorm2d::BatchNorm2d(int64_t channels, float momentum, float eps)
    : Module("BatchNorm2d"), channels_(channels), momentum_(momentum), eps_(eps) {
  check(channels > 0, "BatchNorm2d", "needs at least one channel");
  weight_ = register_parameter("weight", Tensor::ones({channels}));
  bias_ = register_parameter("bias", Tensor::zeros({channels}));
  running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var_ = register_buffer("running_var", Tensor::ones({channels}));
}

Tensor BatchNorm2d::forward(const Tensor& input) {
  check(input.dim() == 4, "BatchNorm2d",
        "input " + to_string(input.shape()) + " must be 4-d [N,C,H,W]");
  return batch_norm(input, weight_, bias_, running_mean_, running_var_, is_training(), momentum_,
                    eps_, sync_);
}

std::string BatchNorm2d::repr() const { return "BatchNorm2d(" + std::to_string(channels_) + ")"; }

}  // namespace trit::nn
