// Two small autograd ops that VNQ's variational layers are built from (spec vnq.md §1.1, §4.3).
#pragma once

#include "autograd/tensor.h"

namespace trit::quant {

// Local reparameterisation (spec §1.1): out = mean + sqrt(var + eps_v) * noise, elementwise,
// with eps_v = 1e-8. `noise` holds fresh N(0,1) draws (no gradient). Backward:
// d/dmean = 1, d/dvar = noise / (2 sqrt(var + eps_v)). mean, var, noise share one shape.
Tensor local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& noise);

// Clip with a straight-through gradient (spec §4.3, "shadow weights"): the forward value is
// clamp(theta, -bound, +bound) elementwise, the backward passes d/dtheta unchanged (the
// unclipped shadow theta keeps learning). `bound` (same shape, >= 0) gets no gradient.
Tensor clip_straight_through(const Tensor& theta, const Tensor& bound);

}  // namespace trit::quant
