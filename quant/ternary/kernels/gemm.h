// Products with a 2-bit packed ternary matrix, expanded on the fly (never unpacked whole).
//
// T is an [out_rows, k] matrix of codes in {-1, 0, +1} in the layout of quant/ternary/pack.h:
// row o starts at packed + o * bytes_per_row; code p of a row sits in byte p / 4 at bits
// [2 (p % 4), 2 (p % 4) + 1], 00 = 0, 01 = +1, 11 = -1. The weight matrix is level * T.
//
// ternary_gemm:         y[n, out_rows] = level * x[n, k] T^T + bias         (a linear layer)
// ternary_gemm_columns: for each b < batch,
//                       y_b[out_rows, n] = level * T columns_b[k, n] + bias^T (conv by im2col)
//                       columns_b = columns + b k n (as kernels::im2col writes them, or the
//                       images themselves for a pointwise conv), y_b = y + b out_rows n (the
//                       images' output planes); each decoded panel of T serves every image.
// All arrays are row-major and dense; bias has out_rows entries or is nullptr (none).
// Requires bytes_per_row >= ceil(k / 4). Codes past column k are ignored; the invalid code 10
// gives unspecified values (validate packed layers when they are loaded). y is overwritten
// and must not overlap the inputs. Any size may be 0 (k == 0 gives y = bias, or zeros).
//
// How: codes are decoded into small float panels (L2-sized, per thread) that gemm's
// register-blocked micro-tile multiplies; one to three rows of x (batch-1 inference) take a
// row-dot path that decodes codes straight into registers.
// Large products run on kernels::num_threads() threads over independent output blocks;
// every output is reduced over k in one fixed order, so results are bit-identical for any
// thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace trit::kernels {

void ternary_gemm(const float* x, int64_t n, int64_t k, const uint8_t* packed, int64_t out_rows,
                  int64_t bytes_per_row, float level, const float* bias, float* y);

// The B operand of ternary_gemm_taps: `batch` images; row p < k of image b's B is the run
// of n floats at input + b * image_stride + offsets[p] (an implicit GEMM: a stride-1 conv
// reads its taps as shifted runs of the padded input, see kernels::WideConv).
struct TapRuns {
  const float* input;
  int64_t image_stride;
  const int64_t* offsets;
  int64_t batch;
};

// The offsets p n (p < k) of a column matrix [k, n]'s rows: with them, column matrices stored
// back to back are TapRuns of image_stride k n.
inline std::vector<int64_t> column_offsets(int64_t k, int64_t n) {
  std::vector<int64_t> offsets(static_cast<std::size_t>(k > 0 ? k : 0));
  for (std::size_t p = 0; p < offsets.size(); ++p) offsets[p] = static_cast<int64_t>(p) * n;
  return offsets;
}

// For each b < batch: y_b[out_rows, n] = level * T B_b + bias^T, y_b = y + b out_rows n.
void ternary_gemm_taps(const TapRuns& runs, int64_t k, int64_t n, const uint8_t* packed,
                       int64_t out_rows, int64_t bytes_per_row, float level, const float* bias,
                       float* y);

// ternary_gemm_taps with the runs of a column matrix: offsets[p] = p n, image_stride k n.
void ternary_gemm_columns(const float* columns, int64_t batch, int64_t k, int64_t n,
                          const uint8_t* packed, int64_t out_rows, int64_t bytes_per_row,
                          float level, const float* bias, float* y);

}  // namespace trit::kernels
