// Unary kernels and their derivatives against scalar double loops, on every target.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/kernels/unary.h"
#include "autograd/random.h"
#include "tests/gradcheck.h"

using namespace trit;
using kernels::UnaryOp;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};
const float kInf = std::numeric_limits<float>::infinity();

// The value and derivative each op should have, in double.
struct Reference {
  UnaryOp op;
  const char* name;
  double (*f)(double);
  double (*df)(double);
  bool positive_only;  // domain (0, inf)
};

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

const Reference kReferences[] = {
    {UnaryOp::kExp, "exp", [](double x) { return std::exp(x); },
     [](double x) { return std::exp(x); }, false},
    {UnaryOp::kLog, "log", [](double x) { return std::log(x); }, [](double x) { return 1 / x; },
     true},
    {UnaryOp::kSqrt, "sqrt", [](double x) { return std::sqrt(x); },
     [](double x) { return 0.5 / std::sqrt(x); }, true},
    {UnaryOp::kSquare, "square", [](double x) { return x * x; }, [](double x) { return 2 * x; },
     false},
    {UnaryOp::kAbs, "abs", [](double x) { return std::abs(x); },
     [](double x) { return x > 0 ? 1.0 : -1.0; }, false},
    {UnaryOp::kRelu, "relu", [](double x) { return x > 0 ? x : 0.0; },
     [](double x) { return x > 0 ? 1.0 : 0.0; }, false},
    {UnaryOp::kSigmoid, "sigmoid", sigmoid_ref,
     [](double x) { return sigmoid_ref(x) * (1 - sigmoid_ref(x)); }, false},
    {UnaryOp::kTanh, "tanh", [](double x) { return std::tanh(x); },
     [](double x) { return 1 - std::tanh(x) * std::tanh(x); }, false},
    {UnaryOp::kSoftplus, "softplus", [](double x) { return std::log1p(std::exp(x)); }, sigmoid_ref,
     false},
};

std::vector<float> random_inputs(size_t n, bool positive_only, uint64_t seed) {
  auto v = trit::testing::random_floats(n, seed, 4.0f);
  if (positive_only)
    for (float& x : v) x = std::abs(x) + 0.01f;
  return v;
}

void check_close(float got, double want) {
  CHECK(got == doctest::Approx(want).epsilon(1e-5).scale(1e-30));
}

// The value a float op gives on one input (dispatch for one element).
float apply(UnaryOp op, float x) {
  float y;
  kernels::unary(op, &x, &y, 1);
  return y;
}
// e^-100 rounded to the nearest float (a subnormal), within one subnormal step.
doctest::Approx tiny_exp_minus_100() {
  return doctest::Approx(static_cast<float>(std::exp(-100.0))).epsilon(0.05).scale(0);
}
}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("unary kernels and their backward match scalar loops") {
    trit::testing::for_each_target([] {
      for (const Reference& ref : kReferences) {
        CAPTURE(std::string(ref.name));
        for (size_t n : kSizes) {
          CAPTURE(n);
          const auto x = random_inputs(n, ref.positive_only, 7);
          const auto gy = random_inputs(n, false, 8);
          std::vector<float> y(n), gx = random_inputs(n, false, 9), gx0 = gx;
          kernels::unary(ref.op, x.data(), y.data(), n);
          for (size_t i = 0; i < n; ++i) check_close(y[i], ref.f(x[i]));

          const auto& saved = kernels::backward_reads_output(ref.op) ? y : x;
          kernels::unary_backward(ref.op, saved.data(), gy.data(), gx.data(), n);
          for (size_t i = 0; i < n; ++i) {
            CAPTURE(x[i]);
            CHECK(gx[i] == doctest::Approx(gx0[i] + gy[i] * ref.df(x[i])).epsilon(1e-5));
          }
          kernels::unary_backward(ref.op, saved.data(), gy.data(), gx.data(), n, false);
          for (size_t i = 0; i < n; ++i) {  // written, not added
            CAPTURE(x[i]);
            CHECK(gx[i] == doctest::Approx(gy[i] * ref.df(x[i])).epsilon(1e-5));
          }
        }
      }
    });
  }

  TEST_CASE("clamp and pow kernels match scalar loops") {
    trit::testing::for_each_target([] {
      for (size_t n : kSizes) {
        CAPTURE(n);
        const auto x = random_inputs(n, false, 11), gy = random_inputs(n, false, 12);
        std::vector<float> y(n), gx(n, 1.0f);
        kernels::clamp(x.data(), -1.5f, 2.0f, y.data(), n);
        kernels::clamp_backward(x.data(), -1.5f, 2.0f, gy.data(), gx.data(), n);
        for (size_t i = 0; i < n; ++i) {
          const bool inside = x[i] >= -1.5f && x[i] <= 2.0f;
          CHECK(y[i] == (x[i] < -1.5f ? -1.5f : x[i] > 2.0f ? 2.0f : x[i]));
          CHECK(gx[i] == 1.0f + (inside ? gy[i] : 0.0f));
        }
        const auto xp = random_inputs(n, true, 13);
        std::fill(gx.begin(), gx.end(), 0.0f);
        kernels::pow(xp.data(), 1.5f, y.data(), n);
        kernels::pow_backward(xp.data(), 1.5f, gy.data(), gx.data(), n);
        for (size_t i = 0; i < n; ++i) {
          check_close(y[i], std::pow(double(xp[i]), 1.5));
          check_close(gx[i], gy[i] * 1.5 * std::sqrt(double(xp[i])));
        }
      }
    });
  }

  TEST_CASE("unary kernels stay finite and exact at extreme inputs") {
    trit::testing::for_each_target([] {
      CHECK(apply(UnaryOp::kSigmoid, 100.0f) == 1.0f);
      CHECK(apply(UnaryOp::kSigmoid, -100.0f) == tiny_exp_minus_100());
      CHECK(apply(UnaryOp::kSigmoid, -100.0f) > 0.0f);
      CHECK(apply(UnaryOp::kSigmoid, -1e30f) == 0.0f);
      CHECK(apply(UnaryOp::kSoftplus, 100.0f) == 100.0f);
      CHECK(apply(UnaryOp::kSoftplus, -100.0f) == tiny_exp_minus_100());
      CHECK(apply(UnaryOp::kSoftplus, 1e30f) == 1e30f);
      CHECK(apply(UnaryOp::kTanh, 100.0f) == 1.0f);
      CHECK(apply(UnaryOp::kTanh, -100.0f) == -1.0f);
      CHECK(apply(UnaryOp::kExp, 88.0f) == doctest::Approx(std::exp(88.0)).epsilon(1e-6));
      CHECK(apply(UnaryOp::kExp, 89.0f) == kInf);
      CHECK(apply(UnaryOp::kExp, 1e30f) == kInf);
      CHECK(apply(UnaryOp::kExp, -200.0f) == 0.0f);
      CHECK(apply(UnaryOp::kLog, 0.0f) == -kInf);
      CHECK(apply(UnaryOp::kLog, kInf) == kInf);
      CHECK(std::isnan(apply(UnaryOp::kLog, -1.0f)));
      CHECK(apply(UnaryOp::kLog, 1e-45f) ==
            doctest::Approx(std::log(double(1e-45f))).epsilon(1e-3));
      for (const Reference& ref : kReferences) {
        CAPTURE(std::string(ref.name));
        CHECK(std::isnan(apply(ref.op, NAN)));
      }
    });
  }
}
