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
// A per-channel bias over an [N, C, P] array: element i is in channel (i / plane) % channels.
// values == nullptr: no bias.
struct ChannelBias {
  const float* values = nullptr;  // [channels]
  size_t channels = 1, plane = 1;
};
// The same with z[i] = z(key, i) of random.h drawn in registers (bit-identical to filling a
// noise array with normal_fill(key, 0, 0, 1, noise, n) and calling reparameterize), and
// optionally a bias: out[i] = (mean[i] + bias[c]) + s z[i].
void reparameterize_sampled(const float* mean, const float* var, uint64_t key, float* out,
                            float* var_slope, size_t n, ChannelBias bias = {});
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
// The same for d_var, with the gradient of a bias laid out as `bias` (n = images * channels *
// plane; bias.values unused): d_bias[c] += the sum of g over channel c, each row of `plane`
// elements summed as kernels::sum does, rows in image order, in double (conv2d's bias
// gradient, bit for bit).
void reparameterize_backward_with_bias(const float* g, const float* var_slope, GradOut d_var,
                                       ChannelBias bias, float* d_bias, size_t n);

// theta clipped to its band (§4.3): out[i] = clamp(theta[i], -c, c), c = a + b s,
// s = exp(ls[i] / 2); when sigma2 is not null also sigma2[i] = s * s (exp(ls[i]) to ~2 ulp).
void clip_to_band(const float* theta, const float* log_sigma2, float a, float b, float* out,
                  size_t n, float* sigma2 = nullptr);

}  // namespace trit::kernels
