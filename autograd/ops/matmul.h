// matmul and linear: the ops on kernels::gemm.
//
// matmul(a, b)
//   [m,k] x [k,n] -> [m,n]; batched [B...,m,k] x [B...,k,n] -> [B...,m,n] with equal batch
//   dimensions, or [B...,m,k] x [k,n] (b shared by every batch entry).
//   Saves a and b. Backward: da = g b^T, db = a^T g (summed over the batch when b is shared).
//   Errors: "matmul: [64,800] x [500,10]: inner dimensions differ", "...: batch dimensions
//   differ", "...: operands need at least 2 dimensions".
//
// linear(x, weight, bias) = x weight^T + bias, one gemm (PyTorch's nn.functional.linear)
//   x [N,in], weight [out,in], bias [out] or an undefined Tensor() for none -> [N,out].
//   Saves x and weight. Backward: dx = g weight, dweight = g^T x, dbias = column sums of g
//   (g^T times a vector of ones), each one gemm.
//   Errors: "linear: input [64,800] does not match weight [500,799]",
//   "linear: bias [499] does not match weight [500,800]".
#pragma once

#include "autograd/tensor.h"

namespace trit {

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace trit
