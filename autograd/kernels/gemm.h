// General matrix multiply on raw row-major float spans (BLAS sgemm semantics).
//
//   C[m x n] = alpha * op(A) * op(B) + beta * C,  op(X) = X or X^T
//
// A is m x k (or k x m when trans_a), B is k x n (or n x k when trans_b); lda, ldb, ldc are
// row strides in elements. beta == 0 overwrites C (NaNs in C are not propagated).
// Large problems run on all kernels::num_threads() threads; the result is bit-identical
// for any thread count (each C element is reduced over k in one fixed order).
#pragma once

#include <cstdint>

namespace trit::kernels {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

// The textbook triple loop with the same contract: the reference the tests compare with.
void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                    float* c, int64_t ldc);

}  // namespace trit::kernels
