// The VNQ KL surrogate and its analytic gradients, per weight, on raw float spans.
// Equations: shared/spec/vnq.md §3.1 (Sparse-VD block g), §3.2 (mixture), §3.3 (gradients),
// §4.3 (theta's clip band).
#pragma once

#include <cstddef>
#include <limits>

namespace trit::kernels {

// clip_factor meaning "no clip" (the band a + inf sigma holds every theta).
constexpr float kNoClip = std::numeric_limits<float>::infinity();

// For each weight i (theta[i], log_sigma2[i]) under a ternary codebook {-a, 0, +a}, at
// theta_c = clamp(theta[i], -c, c), c = a + clip_factor exp(ls / 2) (bit for bit
// clip_to_band of reparam.h; theta itself when clip_factor is kNoClip):
//   d_theta[i] = dKL_i/dtheta at theta_c (the clip passes it straight through),
//   d_log_sigma2[i] = dKL_i/dls,
// and returns {sum_i KL_i, sum_i dKL_i/da} through *kl_sum and *d_a_sum (double, summed in an
// order fixed by n alone), every output multiplied by `weight`. Big arrays are split over the
// threads; results never depend on the thread count.
void vnq_kl(const float* theta, const float* log_sigma2, size_t n, float a, float clip_factor,
            float weight, float* d_theta, float* d_log_sigma2, double* kl_sum, double* d_a_sum);

}  // namespace trit::kernels
