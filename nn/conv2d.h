// Conv2d: 2-D convolution of NCHW images (PyTorch's nn.Conv2d; the op is
// autograd/ops/conv.h, cross-correlation like PyTorch's).
//
//   x [N, in, H, W] -> [N, out, OH, OW], OH = (H + 2 padding - kernel) / stride + 1.
//   weight [out, in / groups, kernel, kernel], bias [out] (optional).
// Initialised as PyTorch does (init.h default_weight_ then default_bias_), drawing from
// `rng`: bounds 1/sqrt(fan_in), fan_in = in / groups * kernel^2.
// As a FusableConvolution it convolves the caller's implicit input once with its weight.
#pragma once

#include "autograd/ops/conv.h"
#include "autograd/random.h"
#include "nn/fusable_convolution.h"
#include "nn/module.h"

namespace trit::nn {

class Conv2d : public Module, public FusableConvolution {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng,
         const Conv2dOptions& options = {}, bool bias = true);

  Tensor forward(const Tensor& input) override;
  Tensor forward_fused(const Convolve& convolve) override;
  // "Conv2d(1, 20, kernel=5)", plus ", stride=2", ", padding=2", ", groups=4", ", bias=false"
  // where they differ from the defaults.
  std::string repr() const override;

  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }  // undefined without a bias
  const Conv2dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_, kernel_;
  Conv2dOptions options_;
  Tensor weight_, bias_;
};

}  // namespace trit::nn
