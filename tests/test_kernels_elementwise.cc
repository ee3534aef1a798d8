// Elementwise and reduction kernels against scalar loops, on odd sizes, on every target.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/reduce.h"
#include "autograd/random.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

std::vector<float> random_vector(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.normal() + 3.0f;  // away from 0 so division is safe
  return v;
}
}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("binary kernels match scalar loops for every step combination") {
    trit::testing::for_each_target([] {
      for (size_t n : kSizes) {
        const auto a = random_vector(n + 1, 1), b = random_vector(n + 1, 2);
        for (int64_t a_step : {0, 1})
          for (int64_t b_step : {0, 1}) {
            using kernels::BinaryOp;
            for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv}) {
              std::vector<float> out(n);
              kernels::binary(op, a.data(), a_step, b.data(), b_step, out.data(), n);
              for (size_t i = 0; i < n; ++i) {
                const float x = a[i * a_step], y = b[i * b_step];
                const float want = op == BinaryOp::kAdd   ? x + y
                                   : op == BinaryOp::kSub ? x - y
                                   : op == BinaryOp::kMul ? x * y
                                                          : x / y;
                CAPTURE(n);
                CAPTURE(i);
                REQUIRE(out[i] == doctest::Approx(want).epsilon(1e-6));
              }
            }
          }
      }
    });
  }

  TEST_CASE("axpy, mul_acc, scale and sum match scalar loops") {
    trit::testing::for_each_target([] {
      for (size_t n : kSizes) {
        CAPTURE(n);
        const auto x = random_vector(n, 3), w = random_vector(n + 1, 4);
        std::vector<float> y = random_vector(n, 5), want = y;
        kernels::axpy(0.5f, x.data(), y.data(), n);
        for (size_t i = 0; i < n; ++i) want[i] += 0.5f * x[i];
        for (size_t i = 0; i < n; ++i) REQUIRE(y[i] == doctest::Approx(want[i]).epsilon(1e-6));

        for (int64_t step : {0, 1}) {
          kernels::mul_acc(x.data(), w.data(), step, y.data(), n);
          for (size_t i = 0; i < n; ++i) want[i] += x[i] * w[i * step];
          for (size_t i = 0; i < n; ++i) REQUIRE(y[i] == doctest::Approx(want[i]).epsilon(1e-5));
        }
        kernels::scale(-2.0f, y.data(), n);
        for (size_t i = 0; i < n; ++i) REQUIRE(y[i] == doctest::Approx(-2.0f * want[i]));

        double total = 0.0;
        for (float v : x) total += v;
        CHECK(kernels::sum(x.data(), n) == doctest::Approx(total).epsilon(1e-5));
      }
    });
  }
}
