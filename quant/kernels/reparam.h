// VNQ's elementwise layer kernels on raw float spans (spec vnq.md §1.1, §4.3): the local
// reparameterisation forward and backward, and the clip of theta to its band. Big arrays are
// split over the threads (kernels::parallel_for_work); results never depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit::kernels {

// Local reparameterisation (§1.1), eps_v = 1e-8, for i in [0, n):
//   s = sqrt(max(var[i], 0) + eps_v),  out[i] = mean[i] + s z[i],  var_slope[i] = z[i] / (2 s)
// (var_slope = d out / d var, what backward needs). var_slope may alias noise.
void reparameterize(const float* mean, const float* var, const float* noise, float* out,
                    float* var_slope, size_t n);
// The same with z[i] = z(key, i) of random.h drawn in registers: bit-identical to filling a
// noise array with normal_fill(key, 0, 0, 1, noise, n) and calling reparameterize.
void reparameterize_sampled(const float* mean, const float* var, uint64_t key, float* out,
                            float* var_slope, size_t n);
// A gradient array a backward kernel adds into (add) or assigns (a fresh, uninitialised
// buffer); a null data pointer is skipped.
struct GradOut {
  float* data = nullptr;
  bool add = true;
};
// Backward: d_mean[i] (+)= g[i], d_var[i] (+)= g[i] var_slope[i]. d_var.data may alias
// var_slope (the slope turned into the gradient in place).
void reparameterize_backward(const float* g, const float* var_slope, GradOut d_mean, GradOut d_var,
                             size_t n);

// theta clipped to its band (§4.3): out[i] = clamp(theta[i], -c, c), c = a + b s,
// s = exp(ls[i] / 2); when sigma2 is not null also sigma2[i] = s * s (exp(ls[i]) to ~2 ulp).
void clip_to_band(const float* theta, const float* log_sigma2, float a, float b, float* out,
                  size_t n, float* sigma2 = nullptr);

}  // namespace trit::kernels
