// Reduction kernels on raw float spans (Highway, runtime dispatch).
//
// Sums accumulate in SIMD lanes (several vectors, then lanes, then the tail) in an
// order fixed by n and the target alone, so a result never depends on the thread count.
// The *_axis kernels view x as a row-major [outer, r, inner] array and reduce the middle
// axis: out[o * inner + j] combines x[(o * r + k) * inner + j] over k.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit::kernels {

// sum of x[0..n); 0 for n == 0.
float sum(const float* x, size_t n);

// out[o, j] = sum over k of x[o, k, j]; 0 when r == 0. With inner > 1 each output adds
// its r terms in ascending k.
void sum_axis(const float* x, size_t outer, size_t r, size_t inner, float* out);

// out[o, j] = max over k of x[o, k, j] and index[o, j] = the smallest k reaching it (first
// on ties). Needs r >= 1. Where a slice holds NaN its results are unspecified, but its
// index stays in [0, r).
void max_axis(const float* x, size_t outer, size_t r, size_t inner, float* out, int64_t* index);

}  // namespace trit::kernels
