#include "quant/reparam.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/unary.h"
#include "quant/kernels/reparam.h"

namespace trit::quant {
namespace {

void check_same_shape(const char* op, const Tensor& a, const char* a_name, const Tensor& b,
                      const char* b_name) {
  check(a.shape() == b.shape(), op,
        std::string(a_name) + " " + to_string(a.shape()) + " and " + b_name + " " +
            to_string(b.shape()) + " differ");
}

// Records the backward of out = mean + s(var) z from the saved slope d out / d var. var usually
// has no gradient yet (it feeds this op alone): the saved slope, multiplied by g in place,
// becomes its gradient, so backward writes no new activation-sized buffer.
void record_reparameterize(const Tensor& mean, const Tensor& var, Tensor& out,
                           const Tensor& var_slope) {
  if (!needs_grad({mean, var})) return;
  record("local_reparameterize", {mean, var}, out, [mean, var, var_slope](const Tensor& g) {
    const size_t n = static_cast<size_t>(g.numel());
    if (var.requires_grad() && var.has_grad()) {
      kernels::reparameterize_backward(g.data(), var_slope.data(), {}, {var.mutable_grad(), true},
                                       n);
    } else if (var.requires_grad()) {
      Tensor d_var = var_slope;  // d_var = g * slope, over the slope (read once, by this closure)
      kernels::reparameterize_backward(g.data(), var_slope.data(), {}, {d_var.data(), false}, n);
      var.accumulate_grad(d_var);
    }
    if (mean.requires_grad()) mean.accumulate_grad(g);  // d/dmean = 1
  });
}

// Straight-through: the gradient of out passes to theta unchanged.
void record_straight_through(const char* op, const Tensor& theta, Tensor& out) {
  if (!needs_grad({theta})) return;
  record(op, {theta}, out, [theta](const Tensor& g) { theta.accumulate_grad(g); });
}

}  // namespace

Tensor local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& noise) {
  check_same_shape("local_reparameterize", mean, "mean", var, "var");
  check_same_shape("local_reparameterize", mean, "mean", noise, "noise");
  Tensor out = Tensor::empty(mean.shape());
  Tensor var_slope = Tensor::empty(mean.shape());  // saved for backward
  kernels::reparameterize(mean.data(), var.data(), noise.data(), out.data(), var_slope.data(),
                          static_cast<size_t>(mean.numel()));
  record_reparameterize(mean, var, out, var_slope);
  return out;
}

Tensor sample_local_reparameterize(const Tensor& mean, const Tensor& var, Rng& rng) {
  check_same_shape("sample_local_reparameterize", mean, "mean", var, "var");
  Tensor out = Tensor::empty(mean.shape());
  Tensor var_slope = Tensor::empty(mean.shape());  // saved for backward
  kernels::reparameterize_sampled(mean.data(), var.data(), rng.next_u64(), out.data(),
                                  var_slope.data(), static_cast<size_t>(mean.numel()));
  record_reparameterize(mean, var, out, var_slope);
  return out;
}

Tensor clip_straight_through(const Tensor& theta, const Tensor& bound) {
  check_same_shape("clip_straight_through", theta, "theta", bound, "bound");
  Tensor out = Tensor::empty(theta.shape());
  const float *t = theta.data(), *c = bound.data();
  float* o = out.data();
  for (int64_t i = 0; i < theta.numel(); ++i) o[i] = std::clamp(t[i], -c[i], c[i]);
  record_straight_through("clip_straight_through", theta, out);
  return out;
}

Tensor clip_to_band(const Tensor& theta, const Tensor& log_sigma2, float a, float b) {
  check_same_shape("clip_to_band", theta, "theta", log_sigma2, "log_sigma2");
  Tensor out = Tensor::empty(theta.shape());
  kernels::clip_to_band(theta.data(), log_sigma2.data(), a, b, out.data(),
                        static_cast<size_t>(theta.numel()));
  record_straight_through("clip_to_band", theta, out);
  return out;
}

BandAndVariance clip_to_band_with_variance(const Tensor& theta, const Tensor& log_sigma2, float a,
                                           float b) {
  check_same_shape("clip_to_band_with_variance", theta, "theta", log_sigma2, "log_sigma2");
  BandAndVariance out{Tensor::empty(theta.shape()), Tensor::empty(theta.shape())};
  kernels::clip_to_band(theta.data(), log_sigma2.data(), a, b, out.theta_c.data(),
                        static_cast<size_t>(theta.numel()), out.sigma2.data());
  record_straight_through("clip_to_band", theta, out.theta_c);
  if (needs_grad({log_sigma2})) {
    const Tensor saved = out.sigma2.detach();
    record("exp", {log_sigma2}, out.sigma2, [log_sigma2, saved](const Tensor& g) {
      kernels::unary_backward(kernels::UnaryOp::kExp, saved.data(), g.data(),
                              log_sigma2.mutable_grad(), static_cast<size_t>(g.numel()));
    });
  }
  return out;
}

}  // namespace trit::quant
