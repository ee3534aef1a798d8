// Ternary products on 8-bit activations held in 16-bit lanes: the optional quantised-activation
// path of the packed ternary layers (spec vnq.md §5.3: with ternary weights a product needs
// only additions; integer lanes hold twice as many values as float lanes).
//
// quantize_activations: q[i] = clamp(round(x[i] / scale), -127, 127), ties to even (a NaN
//   gives 0); the range [-127 scale, 127 scale] is calibrated per layer (activations.h).
// quantize_padded: kernels::wide_input (autograd/kernels/conv.h) of the quantised image in
//   one pass: image x [channels, H, W] zero-padded into g's planes, each value quantised.
// sparse_ternary_taps_int16: sparse_ternary_taps (sparse.h) on such activations,
//   y_b[o, j] = level_times_scale * (sum over +1 columns p of Q_b(p, j) - sum over -1 columns)
//               + bias[o],  Q_b(p, j) = runs.input[b * runs.image_stride + runs.offsets[p] + j].
//   The sums are exact integers: each output's terms accumulate in 16-bit lanes at most
//   kInt16Terms at a time (127 * 258 < 2^15, so no overflow), then move into 32-bit totals; a
//   total below 2^24 converts to float exactly. Results are therefore independent of the
//   order, the thread count and the SIMD target: bit-identical everywhere.
#pragma once

#include <cstdint>

#include "autograd/kernels/conv.h"
#include "quant/ternary/kernels/sparse.h"

namespace trit::kernels {

// Largest magnitude of a quantised activation, and how many of them a 16-bit sum may take.
inline constexpr int kActivationMax = 127;
inline constexpr int64_t kInt16Terms = 32767 / kActivationMax;  // 258

// TapRuns over int16 activations.
struct TapRunsInt16 {
  const int16_t* input;
  int64_t image_stride;
  const int64_t* offsets;
  int64_t batch;
};

void quantize_activations(const float* x, int64_t n, float scale, int16_t* q);

void quantize_padded(const float* x, const WideConv& g, int64_t pad_h, int64_t pad_w, float scale,
                     int16_t* input);

void sparse_ternary_taps_int16(const TapRunsInt16& runs, int64_t n, const SparseTernary& codes,
                               float level_times_scale, const float* bias, float* y);

}  // namespace trit::kernels
