// Double-precision column-major kernels of the pre-processing walk (quant/ptq/vertex_walk.cc):
// its per-step cost is one sweep over the r x r inverse M, so these run on Highway vectors
// (runtime dispatch: AVX2/AVX-512 FMA where the CPU has them) instead of Eigen's SSE2 build.
//
// A is column-major: element (i, c) at a[i + c * lda], lda >= rows. Sizes may be 0.
#pragma once

#include <cstdint>

namespace trit::kernels {

// y = A x (rows values of y, cols of x).
void gemv_colmajor(const double* a, int64_t rows, int64_t cols, int64_t lda, const double* x,
                   double* y);

// A <- A - u v^T (column c: A[:, c] -= v[c] u) and, in the same sweep when x is not null,
// y = A_new x. u and y have rows values, v and x cols values; y must not alias A, u or v.
void rank_one_update_gemv(double* a, int64_t rows, int64_t cols, int64_t lda, const double* u,
                          const double* v, const double* x, double* y);

}  // namespace trit::kernels
