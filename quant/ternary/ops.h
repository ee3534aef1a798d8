// Inference ops on packed ternary weights (quant/ternary/pack.h): the quantised model's
// forward pass, with weights kept at 2 bits each and expanded on the fly by
// kernels::ternary_gemm (never unpacked to a float layer).
//
// These ops are NOT differentiable: they never record on the tape and their outputs do not
// require grad, whatever the inputs (a quantised network is only evaluated, spec §5.3).
// Only sizes are checked per call; codes are checked once by validate_ternary when a layer
// is loaded or built (pack_ternary output is valid by construction).
//
// ternary_linear(x, w, bias) = x (w.level * codes)^T + bias, as linear(x, weight, bias)
//   x [N, in], w [out, in] codes, bias [out] or Tensor() -> [N, out].
//   Given `sparse` (as ternary_conv2d below), it skips the zeros: for at most
//   kSparseLinearRows rows of x and at most kSparseLinearDensity of the codes non-zero by
//   summing each row's inputs of the non-zero codes (kernels::sparse_ternary_linear); for
//   more rows and at most kSparseDensity non-zero, when the layer is large enough for the
//   transposes to pay, by the taps product on x transposed (each input's values over the
//   batch a contiguous run).
//   Errors: "ternary_linear: input [64,800] does not match weight [500,799]",
//   "ternary_linear: bias [499] does not match weight [500,800]".
//
// ternary_conv2d(x, w, kernel, stride, padding, bias): conv2d (cross-correlation, groups 1)
//   with the square kernel x kernel weight level * codes, the codes flattened [Cout, Cin*K*K]
//   (the row-major [Cout, Cin, K, K] weight), bias [Cout] or Tensor() -> [N, Cout, OH, OW],
//   OH = (H + 2 padding - K) / stride + 1, OW likewise. Stride 1 reads the taps as shifted
//   runs of each zero-padded image (kernels::WideConv, no column matrix); strided convs use
//   im2col; a pointwise conv multiplies the images themselves. Groups of images share one
//   kernels::ternary_gemm_taps call (each decoded weight panel serves the whole group);
//   chunks of images run on the threads. Given `sparse`, the index of w's non-zero codes
//   (kernels::sparse_ternary of the same codes, as TernaryLayer keeps it), a layer with at
//   most kSparseDensity of its codes non-zero skips the zeros instead
//   (kernels::sparse_ternary_taps: additions and subtractions of the taps' runs).
//   With activation_scale s > 0 (the optional 8-bit activation path; 0, the default, is the
//   exact float path) the input is quantised, q = clamp(round(x / s), -127, 127), and
//   y = (level * s) * (codes q) + bias with exact integer sums in 16-bit lanes
//   (kernels/sparse_int16.h), on the sparse path whatever the share of non-zero codes
//   (`sparse` is then required). Inputs within +-127 s move by at most s / 2 each, so an
//   output moves by at most level * s / 2 times its row's non-zero codes; larger inputs clip.
//   Errors: "ternary_conv2d: input [2,3,8,8] with a 3x3 kernel needs 27 weight columns,
//   weight [4,18] has 18", and make_window's for bad kernel, stride, padding or input rank.
#pragma once

#include <cstdint>

#include "autograd/tensor.h"
#include "quant/ternary/kernels/sparse.h"
#include "quant/ternary/pack.h"

namespace trit::quant {

// The largest shares of non-zero codes at which the ops take their sparse paths: where the
// sparse kernels stopped beating the dense ones on LeNet-5 and DenseNet-BC-40 layer shapes
// (AVX2, 2026-12-07: even at 50 % for convolutions, at 30 % for a linear layer's scattered
// loads).
inline constexpr double kSparseDensity = 0.4;
inline constexpr double kSparseLinearDensity = 0.25;
// The most rows of x for which ternary_linear takes its sparse path (batch-1 inference);
// more rows reuse each decoded weight panel enough for the dense kernel to win.
inline constexpr int64_t kSparseLinearRows = 3;

Tensor ternary_linear(const Tensor& x, const PackedTernary& w, const Tensor& bias = Tensor(),
                      const kernels::SparseTernary* sparse = nullptr);

Tensor ternary_conv2d(const Tensor& x, const PackedTernary& w, int64_t kernel, int64_t stride,
                      int64_t padding, const Tensor& bias = Tensor(),
                      const kernels::SparseTernary* sparse = nullptr,
                      float activation_scale = 0.0f);

}  // namespace trit::quant
