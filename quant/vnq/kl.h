// The KL divergence surrogate of Variational Network Quantization (spec: shared/spec/vnq.md).
//
// Each quantised weight has a Gaussian posterior N(theta, sigma^2), stored as theta and
// ls = log sigma^2 (§1); the prior is a mixture of log-uniform spikes at the layer's
// ternary codebook {-a, 0, +a} (§2). KL_w(theta, ls, a) is the paper's closed-form
// surrogate (§3.2): windowed, shifted copies of Molchanov's Sparse-VD approximation g.
//
// vnq_kl() is an autograd op: a scalar, the sum of KL_w over every element, with the
// analytic gradients of §3.3 for theta, ls and a. Forward runs one fused Highway pass
// that also computes the gradients, which backward then scales (nothing is recomputed).
// The double-precision *_reference functions restate the equations one weight at a time:
// they are the oracle of the tests (spec §9.1-§9.2 tables).
#pragma once

#include <limits>

#include "autograd/tensor.h"

namespace trit::quant {

// g(l) = k1 - k1 S(k2 + k3 l) + 0.5 softplus(-l), the positive Sparse-VD KL (§3.1).
double sparse_vd_kl_reference(double log_alpha);

struct KlPoint {
  double kl, d_theta, d_log_sigma2, d_a;
};
// KL_w and its gradients for one weight (§3.2 second form, §3.3), in double.
KlPoint vnq_kl_reference(double theta, double log_sigma2, double a);

// weight * sum_i KL_w(theta_c_i, log_sigma2_i, a); theta and log_sigma2 of equal shape, a one
// element. theta_c is theta clipped to the band +-(a + clip_factor sigma) with a straight-through
// gradient, the same values as clip_to_band (quant/vnq/reparam.h, §4.3) computed in the same pass;
// the default (infinity) is theta itself. The weight (a loss's KL factor) is folded into the
// cached gradients: a backward with upstream gradient 1 hands them over without a scaling pass.
// Throws "vnq_kl: ..." on shape mismatch or a <= 0.
Tensor vnq_kl(const Tensor& theta, const Tensor& log_sigma2, const Tensor& a,
              float clip_factor = std::numeric_limits<float>::infinity(), float weight = 1.0f);

}  // namespace trit::quant
