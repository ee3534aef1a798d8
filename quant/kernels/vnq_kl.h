// The VNQ KL surrogate and its analytic gradients, per weight, on raw float spans.
// Equations: shared/spec/vnq.md §3.1 (Sparse-VD block g), §3.2 (mixture), §3.3 (gradients).
#pragma once

#include <cstddef>

namespace trit::kernels {

// For each weight i (theta[i], log_sigma2[i]) under a ternary codebook {-a, 0, +a}:
//   d_theta[i] = dKL_i/dtheta,  d_log_sigma2[i] = dKL_i/dls
// and returns {sum_i KL_i, sum_i dKL_i/da} through *kl_sum and *d_a_sum (double).
void vnq_kl(const float* theta, const float* log_sigma2, size_t n, float a, float* d_theta,
            float* d_log_sigma2, double* kl_sum, double* d_a_sum);

}  // namespace trit::kernels
