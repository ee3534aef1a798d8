// The small autograd ops that VNQ's variational layers are built from (spec vnq.md §1.1, §4.3).
#pragma once

#include "autograd/random.h"
#include "autograd/tensor.h"

namespace trit::quant {

// Local reparameterisation (spec §1.1): out = mean + sqrt(max(var, 0) + eps_v) * noise,
// elementwise, with eps_v = 1e-8. `noise` holds fresh N(0,1) draws (no gradient). Backward:
// d/dmean = 1, d/dvar = noise / (2 sqrt(max(var, 0) + eps_v)), saved as one array.
// mean, var, noise share one shape.
Tensor local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& noise);

// local_reparameterize(mean, var, Tensor::normal(mean.shape(), 0, 1, rng)), bit for bit, with
// the noise drawn in registers instead of an array (one rng.next_u64() per call).
Tensor sample_local_reparameterize(const Tensor& mean, const Tensor& var, Rng& rng);
// The same with a convolution's bias added here rather than in its mean: out = (mean +
// bias[c]) + sqrt(max(var, 0) + eps_v) z for mean, var [N, C, ...] and bias [C] (c = index 1).
// Backward also sums g per channel into bias's gradient (conv2d's bias gradient bit for bit),
// in the pass that reads g anyway, so the convolution need not read g again for it.
Tensor sample_local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& bias,
                                   Rng& rng);

// Clip with a straight-through gradient (spec §4.3, "shadow weights"): the forward value is
// clamp(theta, -bound, +bound) elementwise, the backward passes d/dtheta unchanged (the
// unclipped shadow theta keeps learning). `bound` (same shape, >= 0) gets no gradient.
Tensor clip_straight_through(const Tensor& theta, const Tensor& bound);

// clip_straight_through(theta, a + b * exp(log_sigma2 / 2)) in one pass, without the bound
// array (§4.3: bound a + b sigma). log_sigma2 (theta's shape) gets no gradient.
Tensor clip_to_band(const Tensor& theta, const Tensor& log_sigma2, float a, float b);

// clip_to_band and sigma2 = exp(log_sigma2) (as sigma * sigma from the band's sigma, to ~2 ulp)
// in one pass: the two weight arrays of a variational layer's mean and variance paths. Each
// has its own backward: theta_c straight through to theta, d log_sigma2 += g sigma2 (saved).
struct BandAndVariance {
  Tensor theta_c, sigma2;
};
BandAndVariance clip_to_band_with_variance(const Tensor& theta, const Tensor& log_sigma2, float a,
                                           float b);

}  // namespace trit::quant
