#include "quant/vnq/kl.h"

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "quant/vnq/kernels/kl.h"

namespace trit::quant {
namespace {

constexpr double kK1 = 0.63576, kK2 = 1.87320, kK3 = 1.48695;  // §3.1
constexpr double kReferenceLevel = 0.2, kReferenceWidth = 0.075;  // r and tau, §3.2

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

// g'(l) = -k1 k3 S(k2 + k3 l)(1 - S(k2 + k3 l)) - 0.5 S(-l)
double sparse_vd_slope(double l) {
  const double s = sigmoid(kK2 + kK3 * l);
  return -kK1 * kK3 * s * (1.0 - s) - 0.5 * sigmoid(-l);
}

// x's gradient += scale * cached. The KL usually runs first in backward (it is recorded after
// the layers' forward), so x has no gradient yet: the cached array, scaled in place, becomes
// x's gradient without a zero fill and a pass over it.
void add_scaled(const Tensor& x, const Tensor& cached, float scale) {
  const size_t n = static_cast<size_t>(x.numel());
  if (x.has_grad()) return kernels::axpy(scale, cached.data(), grad_buffer(x), n);
  Tensor owned = cached;
  if (scale != 1.0f) kernels::scale(scale, owned.data(), n);
  add_grad(x, owned);
}

}  // namespace

double sparse_vd_kl_reference(double l) {
  return kK1 - kK1 * sigmoid(kK2 + kK3 * l) + 0.5 * softplus(-l);
}

KlPoint vnq_kl_reference(double theta, double ls, double a) {
  const double tau = kReferenceWidth * a / kReferenceLevel;  // tau_a = 0.375 a
  const double tau2 = tau * tau;
  const double shift[3] = {theta - a, theta + a, theta};  // d_+, d_-, d_0
  const double sign[2] = {1.0, -1.0};                     // s_+, s_-
  double w[3], g[3], slope_over_d[3], slope[3];
  for (int k = 0; k < 3; ++k) {
    const double d2 = std::max(shift[k] * shift[k], 1e-30);  // §3.4 guard
    const double l = ls - std::log(d2);
    g[k] = sparse_vd_kl_reference(l);
    slope[k] = sparse_vd_slope(l);
    slope_over_d[k] = shift[k] == 0.0 ? 0.0 : slope[k] / shift[k];  // limit 0 (§3.3)
    if (k < 2) w[k] = std::exp(-shift[k] * shift[k] / (2.0 * tau2));
  }
  w[2] = 1.0 - w[0] - w[1];

  KlPoint out{0.0, 0.0, 0.0, 0.0};
  for (int k = 0; k < 3; ++k) {
    out.kl += w[k] * g[k];
    out.d_log_sigma2 += w[k] * slope[k];
    out.d_theta -= 2.0 * w[k] * slope_over_d[k];
  }
  for (int k = 0; k < 2; ++k) {
    const double dg = g[k] - g[2];
    out.d_theta -= shift[k] / tau2 * w[k] * dg;
    out.d_a += w[k] * ((sign[k] * shift[k] / tau2 + shift[k] * shift[k] / (tau2 * a)) * dg +
                       2.0 * sign[k] * slope_over_d[k]);
  }
  return out;
}

Tensor vnq_kl(const Tensor& theta, const Tensor& log_sigma2, const Tensor& a, float clip_factor,
              float weight) {
  check(theta.shape() == log_sigma2.shape(), "vnq_kl",
        "theta " + to_string(theta.shape()) + " and log_sigma2 " +
            to_string(log_sigma2.shape()) + " differ");
  check(a.numel() == 1, "vnq_kl", "codebook level a must have one element, got " +
                                      to_string(a.shape()));
  const float level = a.item();
  check(level > 0.0f, "vnq_kl", "codebook level a must be positive, got " +
                                    std::to_string(level));

  const int64_t n = theta.numel();
  Tensor d_theta = Tensor::empty(theta.shape()), d_log_sigma2 = Tensor::empty(theta.shape());
  double kl_sum = 0.0, d_a_sum = 0.0;
  kernels::vnq_kl(theta.data(), log_sigma2.data(), static_cast<size_t>(n), level, clip_factor,
                  weight, d_theta.data(), d_log_sigma2.data(), &kl_sum, &d_a_sum);
  Tensor out = Tensor::scalar(static_cast<float>(kl_sum));
  if (needs_grad({theta, log_sigma2, a})) {
    const float d_a = static_cast<float>(d_a_sum);
    record("vnq_kl", {theta, log_sigma2, a}, out,
           [theta, log_sigma2, a, d_theta, d_log_sigma2, d_a](const Tensor& g) mutable {
             const float scale = g.item();
             if (theta.requires_grad()) add_scaled(theta, d_theta, scale);
             if (log_sigma2.requires_grad()) add_scaled(log_sigma2, d_log_sigma2, scale);
             if (a.requires_grad()) grad_buffer(a)[0] += scale * d_a;
           });
  }
  return out;
}

}  // namespace trit::quant
