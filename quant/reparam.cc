#include "quant/reparam.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"

namespace trit::quant {
namespace {
constexpr float kVarianceEpsilon = 1e-8f;  // spec §1.1

void check_same_shape(const char* op, const Tensor& a, const char* a_name, const Tensor& b,
                      const char* b_name) {
  check(a.shape() == b.shape(), op,
        std::string(a_name) + " " + to_string(a.shape()) + " and " + b_name + " " +
            to_string(b.shape()) + " differ");
}
}  // namespace

Tensor local_reparameterize(const Tensor& mean, const Tensor& var, const Tensor& noise) {
  check_same_shape("local_reparameterize", mean, "mean", var, "var");
  check_same_shape("local_reparameterize", mean, "mean", noise, "noise");
  const int64_t n = mean.numel();
  Tensor out = Tensor::empty(mean.shape());
  Tensor stddev = Tensor::empty(mean.shape());  // saved for backward
  for (int64_t i = 0; i < n; ++i) {
    stddev.data()[i] = std::sqrt(std::max(var.data()[i], 0.0f) + kVarianceEpsilon);
    out.data()[i] = mean.data()[i] + stddev.data()[i] * noise.data()[i];
  }
  if (needs_grad({mean, var}))
    record("local_reparameterize", {mean, var}, out, [mean, var, noise, stddev](const Tensor& g) {
      if (mean.requires_grad()) kernels::axpy(1.0f, g.data(), mean.mutable_grad(), g.numel());
      if (var.requires_grad()) {
        float* d_var = var.mutable_grad();
        for (int64_t i = 0; i < g.numel(); ++i)
          d_var[i] += g.data()[i] * noise.data()[i] / (2.0f * stddev.data()[i]);
      }
    });
  return out;
}

Tensor clip_straight_through(const Tensor& theta, const Tensor& bound) {
  check_same_shape("clip_straight_through", theta, "theta", bound, "bound");
  Tensor out = Tensor::empty(theta.shape());
  for (int64_t i = 0; i < theta.numel(); ++i)
    out.data()[i] = std::clamp(theta.data()[i], -bound.data()[i], bound.data()[i]);
  if (needs_grad({theta}))
    record("clip_straight_through", {theta}, out, [theta](const Tensor& g) {
      kernels::axpy(1.0f, g.data(), theta.mutable_grad(), g.numel());
    });
  return out;
}

}  // namespace trit::quant
