// add, sub, mul, div with NumPy broadcasting, neg, and the C++ operators over them.
//
// Shapes: the output has broadcast_shapes(a, b); mismatches throw
// "<op>: [2,3] and [4]: shapes cannot be broadcast". A float operand is a 0-d tensor.
// Backward: each input's gradient is the output gradient times the local derivative,
// summed back over the dimensions that were broadcast (sum_to_shape_add).
#pragma once

#include "autograd/tensor.h"

namespace trit {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, float b) { return add(a, Tensor::scalar(b)); }
inline Tensor operator-(const Tensor& a, float b) { return sub(a, Tensor::scalar(b)); }
inline Tensor operator*(const Tensor& a, float b) { return mul(a, Tensor::scalar(b)); }
inline Tensor operator/(const Tensor& a, float b) { return div(a, Tensor::scalar(b)); }
inline Tensor operator+(float a, const Tensor& b) { return add(Tensor::scalar(a), b); }
inline Tensor operator-(float a, const Tensor& b) { return sub(Tensor::scalar(a), b); }
inline Tensor operator*(float a, const Tensor& b) { return mul(Tensor::scalar(a), b); }
inline Tensor operator/(float a, const Tensor& b) { return div(Tensor::scalar(a), b); }

}  // namespace trit
