// Softmax and log-softmax over the contiguous rows of a [rows, cols] array, and their
// backward (Highway, runtime dispatch; one dispatch per call, rows in order).
//
// Stable: each row's max m is subtracted first, so e^(x - m) <= 1 never overflows and any
// finite logits give finite log-probabilities (log_softmax([0, 1000]) = [-1000, 0]).
// Sums run in an order fixed by cols and the target. out must not alias x. cols may be 0.
#pragma once

#include <cstddef>

namespace trit::kernels {

// out = e^(x - m) / sum(e^(x - m)) per row.
void softmax_rows(const float* x, size_t rows, size_t cols, float* out);
// out = (x - m) - log(sum(e^(x - m))) per row.
void log_softmax_rows(const float* x, size_t rows, size_t cols, float* out);

// grad_x += y * (grad_y - sum(grad_y * y)) per row; y is softmax_rows' output.
void softmax_backward_rows(const float* y, const float* grad_y, size_t rows, size_t cols,
                           float* grad_x);
// grad_x += grad_y - e^y * sum(grad_y) per row; y is log_softmax_rows' output.
void log_softmax_backward_rows(const float* y, const float* grad_y, size_t rows, size_t cols,
                               float* grad_x);

}  // namespace trit::kernels
