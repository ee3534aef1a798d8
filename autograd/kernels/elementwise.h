// Elementwise binary kernels on raw float spans (Highway, runtime dispatch).
//
// These know nothing of tensors. A "step" of 1 walks an operand, a step of 0 repeats its
// first element (a broadcast scalar); out may alias a or b. n may be 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit::kernels {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

// out[i] = a[i * a_step] (op) b[i * b_step] for i < n.
void binary(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step,
            float* out, size_t n);

// y[i] += alpha * x[i]
void axpy(float alpha, const float* x, float* y, size_t n);

// y[i] += a[i] * b[i * b_step]
void mul_acc(const float* a, const float* b, int64_t b_step, float* y, size_t n);

// y[i] *= alpha
void scale(float alpha, float* y, size_t n);

}  // namespace trit::kernels
