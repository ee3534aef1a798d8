// Reduction kernels on raw float spans (Highway, runtime dispatch).
//
// Sums accumulate in SIMD lanes (several vectors, then lanes, then the tail) in an
// order fixed by n and the target alone, so a result never depends on the thread count.
#pragma once

#include <cstddef>

namespace trit::kernels {

// sum of x[0..n); 0 for n == 0.
float sum(const float* x, size_t n);

}  // namespace trit::kernels
