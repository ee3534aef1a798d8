#include "quant/vnq/reparam.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/unary.h"
#include "quant/vnq/kernels/reparam.h"

namespace trit::quant {
namespace {

void check_same_shape(const char* op, const Tensor& a, const char* a_name, const Tensor& b,
                      const char* b_name) {
  check(a.shape() == b.shape(), op,
        std::string(a_name) + " " + to_string(a.shape()) + " and " + b_name + " " +
            to_string(b.shape()) + " differ");
}

// The layout of a bias over mean's channels (index 1), or no bias.
kernels::ChannelBias channel_bias(const Tensor& mean, const Tensor& bias) {
  kernels::ChannelBias layout;
  if (!bias.defined()) return layout;
  layout.values = bias.data();
  layout.channels = static_cast<size_t>(mean.size(1));
  layout.plane =
      static_cast<size_t>(mean.numel() / std::max<int64_t>(mean.size(0) * mean.size(1), 1));
  return layout;
}

// Records the backward of out = mean (+ bias) + s(var) z from the saved slope d out / d var. var
// usually has no gradient yet (it feeds this op alone): the saved slope, multiplied by g in
// place, becomes its gradient, so backward writes no new activation-sized buffer.
void record_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& bias, Tensor& out,
                           const Tensor& var_slope) {
  if (!needs_grad({mean, var, bias})) return;
  std::vector<Tensor> inputs{mean, var};
  if (bias.defined()) inputs.push_back(bias);
  record("local_reparameterize", inputs, out, [mean, var, bias, var_slope](const Tensor& g) {
    const size_t n = static_cast<size_t>(g.numel());
    Tensor d_var = var_slope;  // g * slope over the slope, read once, by this closure
    kernels::GradOut var_target;
    if (var.requires_grad()) {
      const bool add = var.has_grad();
      var_target = {add ? grad_buffer(var) : d_var.data(), add};
    }
    if (bias.defined() && bias.requires_grad())
      kernels::reparameterize_backward_with_bias(g.data(), var_slope.data(), var_target,
                                                 channel_bias(g, bias), grad_buffer(bias), n);
    else
      kernels::reparameterize_backward(g.data(), var_slope.data(), {}, var_target, n);
    if (var.requires_grad() && !var_target.add) add_grad(var, d_var);
    if (mean.requires_grad()) add_grad(mean, g);  // d/dmean = 1
  });
}

// Straight-through: the gradient of out passes to theta unchanged.
void record_straight_through(const char* op, const Tensor& theta, Tensor& out) {
  if (!needs_grad({theta})) return;
  record(op, {theta}, out, [theta](const Tensor& g) { add_grad(theta, g); });
}

}  // namespace

Tensor local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& noise) {
  check_same_shape("local_reparameterize", mean, "mean", var, "var");
  check_same_shape("local_reparameterize", mean, "mean", noise, "noise");
  Tensor out = Tensor::empty(mean.shape());
  Tensor var_slope = Tensor::empty(mean.shape());  // saved for backward
  kernels::reparameterize(mean.data(), var.data(), noise.data(), out.data(), var_slope.data(),
                          static_cast<size_t>(mean.numel()));
  record_reparameterize(mean, var, Tensor(), out, var_slope);
  return out;
}

Tensor sample_local_reparameterize(const Tensor& mean, const Tensor& var, Rng& rng) {
  return sample_local_reparameterize(mean, var, Tensor(), rng);
}

Tensor sample_local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& bias,
                                   Rng& rng) {
  const char* op = "sample_local_reparameterize";
  check_same_shape(op, mean, "mean", var, "var");
  if (bias.defined())
    check(mean.dim() >= 2 && bias.shape() == Shape{mean.size(1)}, op,
          "bias " + to_string(bias.shape()) + " is not one value per channel of mean " +
              to_string(mean.shape()));
  Tensor out = Tensor::empty(mean.shape());
  Tensor var_slope = Tensor::empty(mean.shape());  // saved for backward
  kernels::reparameterize_sampled(mean.data(), var.data(), rng.next_u64(), out.data(),
                                  var_slope.data(), static_cast<size_t>(mean.numel()),
                                  channel_bias(mean, bias));
  record_reparameterize(mean, var, bias, out, var_slope);
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
                              grad_buffer(log_sigma2), static_cast<size_t>(g.numel()));
    });
  }
  return out;
}

}  // namespace trit::quant
