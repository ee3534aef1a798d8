// Test helpers: finite-difference gradient checks and per-target kernel runs.
//
// gradcheck(f, inputs) compares backprop with central differences for the scalar
// L = sum(r * f(inputs)), r a seeded random tensor (so every output element matters, as
// dlib's test_layer does). Every input with requires_grad is checked element by element:
// |analytic - numeric| <= atol + rtol * |numeric|. Keep inputs away from kinks (relu at 0,
// max-pool ties, clipping bounds) or the finite difference is meaningless. A whole network
// has too many ReLUs for that: with max_kink_fraction > 0, an element whose central
// difference disagrees is skipped when its two one-sided differences disagree with each
// other by more than the tolerance (a kink inside [x - eps, x + eps] makes the central
// difference meaningless there), for at most that fraction of all elements checked. A
// wrong gradient on a smooth stretch still fails: its one-sided differences agree.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "autograd/kernels/targets.h"
#include "autograd/random.h"
#include "autograd/tensor.h"

namespace trit::testing {

struct GradcheckOptions {
  float eps = 1e-3f;
  float rtol = 1e-2f;
  float atol = 1e-3f;
  uint64_t seed = 1234;
  double max_kink_fraction = 0.0;
};

// For ops linear in each input (matmul, linear, conv2d) central differences are exact for any
// step: a large one keeps float rounding in the loss from swamping small gradients.
inline const GradcheckOptions kLinearOpStep{0.05f};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// n seeded normal floats, scaled then shifted (kernel tests against scalar loops).
inline std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f,
                                        float shift = 0.0f) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = scale * rng.normal() + shift;
  return v;
}

inline double weighted_sum(const Tensor& y, const Tensor& r) {
  double total = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) total += double(y.data()[i]) * r.data()[i];
  return total;
}

inline void gradcheck(const TensorFn& f, std::vector<Tensor> inputs,
                      const GradcheckOptions& options = {}) {
  for (Tensor& x : inputs) x.zero_grad();
  const Tensor y = f(inputs);
  // Rng::normal weights (not Tensor::normal): the tests' seeds were chosen with these values.
  const Tensor r =
      Tensor::from(y.shape(), random_floats(static_cast<size_t>(y.numel()), options.seed));
  backward(y, r);

  NoGradGuard no_grad;
  const double center = options.max_kink_fraction > 0.0 ? weighted_sum(f(inputs), r) : 0.0;
  int64_t kinks = 0, checked = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor x = inputs[k];
    if (!x.requires_grad()) continue;
    REQUIRE_MESSAGE(x.has_grad(), "input " << k << " received no gradient");
    const Tensor analytic = x.grad().clone();
    checked += x.numel();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float saved = x.data()[i];
      x.data()[i] = saved + options.eps;
      const double plus = weighted_sum(f(inputs), r);
      x.data()[i] = saved - options.eps;
      const double minus = weighted_sum(f(inputs), r);
      x.data()[i] = saved;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double got = analytic.data()[i];
      const double tolerance = options.atol + options.rtol * std::abs(numeric);
      if (std::abs(got - numeric) > tolerance && options.max_kink_fraction > 0.0 &&
          std::abs((plus - center) - (center - minus)) / options.eps > tolerance) {
        ++kinks;
        continue;
      }
      CAPTURE(k);
      CAPTURE(i);
      CAPTURE(to_string(x.shape()));
      CHECK(std::abs(got - numeric) <= tolerance);
      if (std::abs(got - numeric) > tolerance) {
        MESSAGE("analytic " << got << " vs numeric " << numeric);
        return;  // one failure per input is enough to read
      }
    }
  }
  CHECK(double(kinks) <= options.max_kink_fraction * double(checked));
}

// Runs `body` once with dispatch forced to each Highway target this CPU supports.
template <class Body>
void for_each_target(const Body& body) {
  for (int64_t target : kernels::supported_targets()) {
    kernels::force_target(target);
    CAPTURE(kernels::target_name(target));
    body();
  }
  kernels::force_target(0);
}

// A seeded random tensor (normal, from Rng::normal like the weights r above) that requires
// grad.
inline Tensor random_input(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Tensor t = Tensor::from(shape, random_floats(static_cast<size_t>(numel(shape)), seed, scale));
  t.set_requires_grad(true);
  return t;
}

}  // namespace trit::testing
