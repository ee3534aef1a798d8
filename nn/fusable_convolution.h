// A convolution module that can run on an input its caller never materialises.
//
// Contract: forward_fused(convolve) returns what forward(h) would return for the caller's
// input h, computing every convolution through `convolve(weight, options, input)`, which
// returns conv2d(h, weight) (input kPlain) or conv2d(h * h, weight) (kSquared) with those
// options and no bias; the module adds its bias itself. nn::DenseNet's BN-ReLU-convs pass a
// `convolve` that runs the fused, recomputing norm_relu_conv2d (fused/norm_relu_conv.h), so a
// dense block's memory grows linearly whichever convolution module its layers hold: a plain
// nn::Conv2d (one convolution) or VNQ's VariationalConv2d (mean and variance paths, the
// latter on h^2; quant/vnq/variational.h).
#pragma once

#include <functional>

#include "autograd/fused/norm_relu_conv.h"
#include "autograd/ops/conv.h"
#include "autograd/tensor.h"

namespace trit::nn {

class FusableConvolution {
 public:
  using Convolve = std::function<Tensor(const Tensor& weight, const Conv2dOptions& options,
                                        NormReluInput input)>;

  virtual ~FusableConvolution() = default;
  virtual Tensor forward_fused(const Convolve& convolve) = 0;
};

// y + bias per channel (index 1) for y [N, C, H, W] and bias [C]; y itself for an undefined
// bias. For forward_fused implementations.
Tensor add_channel_bias(const Tensor& y, const Tensor& bias);

}  // namespace trit::nn
