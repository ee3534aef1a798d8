#include "nn/conv2d.h"

#include "autograd/error.h"
#include "nn/init.h"

namespace trit::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng,
               const Conv2dOptions& options, bool bias)
    : Module("Conv2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      options_(options) {
  check(in_channels > 0 && out_channels > 0 && kernel > 0 && options.groups > 0 &&
            in_channels % options.groups == 0 && out_channels % options.groups == 0,
        "Conv2d", repr() + ": channels and kernel must be positive, channels divisible by groups");
  weight_ = register_parameter(
      "weight", Tensor::empty({out_channels, in_channels / options.groups, kernel, kernel}));
  init::default_weight_(weight_, rng);
  if (bias) {
    bias_ = register_parameter("bias", Tensor::empty({out_channels}));
    init::default_bias_(bias_, weight_.shape(), rng);
  }
}

Tensor Conv2d::forward(const Tensor& input) { return conv2d(input, weight_, bias_, options_); }

Tensor Conv2d::forward_fused(const Convolve& convolve) {
  return add_channel_bias(convolve(weight_, options_, NormReluInput::kPlain), bias_);
}

std::string Conv2d::repr() const {
  std::string out = "Conv2d(" + std::to_string(in_channels_) + ", " +
                    std::to_string(out_channels_) + ", kernel=" + std::to_string(kernel_);
  if (options_.stride != 1) out += ", stride=" + std::to_string(options_.stride);
  if (options_.padding != 0) out += ", padding=" + std::to_string(options_.padding);
  if (options_.groups != 1) out += ", groups=" + std::to_string(options_.groups);
  // In the constructor's check the bias is not registered yet; say nothing about it there.
  if (!bias_.defined() && weight_.defined()) out += ", bias=false";
  return out + ")";
}

}  // namespace trit::nn
