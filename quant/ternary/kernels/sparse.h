// Products with a ternary matrix that skip its zeros: each output row is a sum and a
// difference of input rows, with no multiplication until the level (spec vnq.md §5.3).
//
// SparseTernary lists the non-zero codes of T [rows, cols] (the packed layout of
// quant/ternary/pack.h) row by row: row o's +1 columns are columns[starts[o], minus[o]), its
// -1 columns columns[minus[o], starts[o + 1]), each list in increasing order. It is built
// once per layer (sparse_ternary) and costs 4 bytes per non-zero code: less than the 2-bit
// packing when under 1 code in 16 is non-zero, 4x more at 1 in 4.
//
// sparse_ternary_linear: as ternary_gemm (gemm.h), y[i, o] = level * (sum over +1 columns p
//   of x[i, p] - sum over -1 columns) + bias[o] for i < n: scattered loads of x, for the few
//   rows of batch-1 inference.
// sparse_ternary_taps: as ternary_gemm_taps (gemm.h), for each b < batch,
//   y_b[o, j] = level * (sum over +1 columns p of B_b(p, j) - sum over -1 columns) + bias[o],
//   B_b(p, j) = runs.input[b * runs.image_stride + runs.offsets[p] + j], j < n.
// The work is proportional to the non-zero codes, not to rows * cols: with VNQ's 6-35 %
// non-zero it does a fraction of the dense product's arithmetic, in additions. Each output
// sums its terms in one order fixed by the codes (the +1 columns, then the -1 columns), so
// results do not depend on the thread count; they equal the dense product within float
// reassociation. y must not overlap the inputs; bias may be nullptr.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/ternary/kernels/gemm.h"

namespace trit::kernels {

struct SparseTernary {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> starts;  // rows + 1 entries
  std::vector<int64_t> minus;   // rows entries: where row o's -1 columns begin
  std::vector<int32_t> columns;

  int64_t nonzero() const { return static_cast<int64_t>(columns.size()); }
  // Non-zero codes over all codes (0 for an empty matrix).
  double density() const {
    return rows > 0 && cols > 0 ? double(nonzero()) / double(rows * cols) : 0.0;
  }
};

// The index of packed codes [rows, cols] (bytes_per_row bytes a row, codes valid).
SparseTernary sparse_ternary(const uint8_t* packed, int64_t rows, int64_t cols,
                             int64_t bytes_per_row);

void sparse_ternary_linear(const float* x, int64_t n, const SparseTernary& codes, float level,
                           const float* bias, float* y);

void sparse_ternary_taps(const TapRuns& runs, int64_t n, const SparseTernary& codes, float level,
                         const float* bias, float* y);

}  // namespace trit::kernels
