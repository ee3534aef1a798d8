// Axis permutation of a row-major array (plain C++, no SIMD: it only moves floats).
//
// Contract: out (numel(shape) floats, not aliasing x) receives x with out.shape[i] =
// shape[dims[i]]; dims must already be a valid permutation of 0..rank-1 (the op checks).
// The copy is exact whatever the thread count. Dimensions of size 1 are dropped and
// dimensions that stay adjacent are merged first, so [N,C,H,W] -> [N,H,W,C] is a batch of
// [C, H*W] transposes. When the innermost output dimension is innermost in x too, rows
// are copied whole; otherwise the two innermost axes (x's and out's) are transposed in
// square tiles so reads and writes both stay within a few cache lines.
#pragma once

#include <cstdint>
#include <vector>

namespace trit::kernels {

void permute(const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& dims,
             float* out);

}  // namespace trit::kernels
