// SGD, Adam and AdamW against PyTorch's update rules written out here, for three steps.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "tests/optim_helpers.h"

using namespace trit;
using trit::testing::set_grad;
using trit::testing::take_steps;

namespace {

const std::vector<float> kStart = {1.0f, -2.0f, 0.5f};
const std::vector<std::vector<float>> kGrads = {
    {0.5f, 1.0f, -0.3f}, {-0.25f, 0.75f, 0.2f}, {1.0f, -0.5f, 0.05f}};

// torch.optim.SGD, per element:  d = g + wd * p
//   buf = d (first step) | momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf;   p = p - lr * d
double sgd_reference(size_t i, size_t steps, double lr, double momentum, double dampening,
                     double wd, bool nesterov) {
  double p = kStart[i], buf = 0.0;
  for (size_t t = 0; t < steps; ++t) {
    double d = kGrads[t][i] + wd * p;
    if (momentum != 0.0) {
      buf = t == 0 ? d : momentum * buf + (1.0 - dampening) * d;
      d = nesterov ? d + momentum * buf : buf;
    }
    p -= lr * d;
  }
  return p;
}

// torch.optim.Adam / AdamW, per element, t = 1, 2, ...:
//   Adam: g = g + wd * p             AdamW: p = p * (1 - lr * wd)
//   m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2
//   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
double adam_reference(size_t i, size_t steps, double lr, double b1, double b2, double eps,
                      double wd, bool decoupled) {
  double p = kStart[i], m = 0.0, v = 0.0;
  for (size_t t = 1; t <= steps; ++t) {
    double g = kGrads[t - 1][i];
    if (decoupled) {
      p *= 1.0 - lr * wd;
    } else {
      g += wd * p;
    }
    m = b1 * m + (1.0 - b1) * g;
    v = b2 * v + (1.0 - b2) * g * g;
    p -= lr / (1.0 - std::pow(b1, t)) * m / (std::sqrt(v) / std::sqrt(1.0 - std::pow(b2, t)) + eps);
  }
  return p;
}

// Runs the optimiser made by `make` for 1, 2, 3 steps and compares with `reference`.
template <class Make, class Reference>
void check_against(const Make& make, const Reference& reference, float first_step_value) {
  for (size_t steps = 1; steps <= 3; ++steps) {
    Tensor p = Tensor::from({3}, kStart).set_requires_grad();
    auto optimizer = make(p);
    take_steps(optimizer, p, {kGrads.begin(), kGrads.begin() + steps});
    for (size_t i = 0; i < 3; ++i) {
      CAPTURE(steps);
      CAPTURE(i);
      CHECK(p.data()[i] == doctest::Approx(reference(i, steps)).epsilon(1e-6));
    }
    if (steps == 1) CHECK(p.data()[0] == doctest::Approx(first_step_value).epsilon(1e-6));
  }
}

}  // namespace

TEST_SUITE("optim") {
  TEST_CASE("SGD follows torch.optim.SGD: plain, momentum, dampening, Nesterov, weight decay") {
    struct Case {
      float momentum, dampening, wd;
      bool nesterov;
      float first;  // p[0] after step 1, by hand: 1 - 0.1 * d
    };
    const Case cases[] = {
        {0.0f, 0.0f, 0.0f, false, 0.95f},    // d = 0.5
        {0.9f, 0.0f, 0.01f, false, 0.949f},  // d = buf = 0.5 + 0.01 = 0.51
        {0.9f, 0.0f, 0.01f, true, 0.9031f},  // d = 0.51 + 0.9 * 0.51 = 0.969
        {0.9f, 0.5f, 0.0f, false, 0.95f},    // first buf = d: dampening acts from step 2
    };
    for (const Case& c : cases) {
      CAPTURE(c.momentum);
      CAPTURE(c.nesterov);
      CAPTURE(c.dampening);
      check_against(
          [&](Tensor p) {
            return optim::SGD({p}, {0.1f, c.momentum, c.dampening, c.wd, c.nesterov});
          },
          [&](size_t i, size_t steps) {
            return sgd_reference(i, steps, 0.1, c.momentum, c.dampening, c.wd, c.nesterov);
          },
          c.first);
    }
  }

  TEST_CASE("Adam follows torch.optim.Adam (L2 decay) and AdamW (decoupled decay)") {
    const optim::AdamOptions options{0.1f, 0.9f, 0.999f, 1e-8f, 0.1f};
    const auto reference = [&](bool decoupled) {
      return [&, decoupled](size_t i, size_t steps) {
        return adam_reference(i, steps, options.lr, options.beta1, options.beta2, options.eps,
                              options.weight_decay, decoupled);
      };
    };
    // Step 1 by hand. Adam: g = 0.5 + 0.1 = 0.6, the corrected m / sqrt(v) = 0.6 / 0.6, so
    // p = 1 - 0.1. AdamW: p = 1 * (1 - 0.01) = 0.99, then 0.5 / 0.5: p = 0.89.
    check_against([&](Tensor p) { return optim::Adam({p}, options); }, reference(false), 0.9f);
    check_against([&](Tensor p) { return optim::AdamW({p}, options); }, reference(true), 0.89f);
  }

  TEST_CASE("parameter groups scale the learning rate and set their own weight decay") {
    Tensor a = Tensor::from({2}, {1, 1}).set_requires_grad();
    Tensor b = Tensor::from({2}, {1, 1}).set_requires_grad();
    Tensor c = Tensor::from({2}, {1, 1}).set_requires_grad();
    optim::SGD sgd({{{a}, 1.0f, std::nullopt}, {{b}, 0.01f, std::nullopt}, {{c}, 1.0f, 0.5f}},
                   {0.1f, 0.0f, 0.0f, 0.25f, false});
    for (Tensor t : {a, b, c}) set_grad(t, {1.0f, -2.0f});
    sgd.step();
    // a: lr 0.1, wd 0.25: p - 0.1 * (g + 0.25)
    CHECK(a.to_vector()[0] == doctest::Approx(1 - 0.1 * 1.25));
    CHECK(a.to_vector()[1] == doctest::Approx(1 - 0.1 * -1.75));
    // b: lr 0.001 (the VNQ codebook's lr / 100), same decay
    CHECK(b.to_vector()[0] == doctest::Approx(1 - 0.001 * 1.25));
    // c: its own decay 0.5
    CHECK(c.to_vector()[1] == doctest::Approx(1 - 0.1 * -1.5));
    sgd.set_lr(0.0f);
    sgd.step();
    CHECK(c.to_vector()[1] == doctest::Approx(1 - 0.1 * -1.5));
  }

  TEST_CASE("parameters without a gradient are skipped and get no state") {
    Tensor used = Tensor::from({1}, {1}).set_requires_grad();
    Tensor unused = Tensor::from({1}, {1}).set_requires_grad();
    optim::Adam adam({used, unused}, {});
    set_grad(used, {1.0f});
    adam.step();
    CHECK(unused.item() == 1.0f);
    CHECK(used.item() < 1.0f);
    CHECK(adam.state_dict().count("group0.param1.step") == 0);
    CHECK(adam.state_dict().at("group0.param0.step").item() == 1.0f);
    adam.zero_grad();
    CHECK_FALSE(used.has_grad());
  }

  TEST_CASE("step records nothing on the tape") {
    Tensor p = Tensor::from({2}, {1, 2}).set_requires_grad();
    optim::SGD sgd({p}, {});
    set_grad(p, {1, 1});
    clear_tape();
    sgd.step();
    CHECK(tape_size() == 0);
  }

  TEST_CASE("invalid optimiser settings are errors") {
    Tensor p = Tensor::zeros({1});
    CHECK_THROWS_WITH_AS(optim::SGD({{{p}, 1.0f, std::nullopt}, {{p}, 1.0f, std::nullopt}}, {}),
                         "sgd: a parameter appears twice in the parameter groups", Error);
    CHECK_THROWS_WITH_AS(optim::SGD({p}, {0.1f, 0.0f, 0.0f, 0.0f, true}),
                         "sgd: Nesterov momentum requires a momentum > 0 and zero dampening",
                         Error);
    CHECK_THROWS_WITH_AS(optim::Adam({p}, {0.1f, 1.0f, 0.9f, 1e-8f, 0.0f}),
                         "adam: betas must lie in [0, 1)", Error);
  }
}
