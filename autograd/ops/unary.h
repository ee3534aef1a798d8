// Elementwise unary ops: the output has the input's shape, one kernel call each.
//
// Stability (kernels/unary.h): sigmoid and softplus go through e^-|x| and stay finite and
// exact for any finite x; exp overflows to +inf past ~88.7; log(0) = -inf, log(<0) = NaN.
// Saved for backward: the output for exp, sqrt, relu, sigmoid, tanh (f' is cheapest in y);
// the input for log, square, pow, abs, clamp, softplus. At kinks the gradient is that of
// PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient on lo <= x <= hi.
#pragma once

#include "autograd/tensor.h"

namespace trit {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor pow(const Tensor& x, float p);  // std::pow elementwise (NaN for x < 0, p fractional)
Tensor abs(const Tensor& x);
Tensor clamp(const Tensor& x, float lo, float hi);  // throws unless lo <= hi
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x);  // log(1 + e^x), computed as max(x,0) + log1p(e^-|x|)

}  // namespace trit
