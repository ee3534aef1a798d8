// dropout: mask statistics, inverted scaling, determinism per seed, eval and p = 0
// identity, gradient check and p validation.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/error.h"
#include "autograd/ops/dropout.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

TEST_SUITE("ops") {
  TEST_CASE("dropout zeroes a fraction p and scales the rest by 1/(1-p)") {
    const Tensor x = Tensor::full({200, 500}, 2.0f);
    for (float p : {0.1f, 0.5f, 0.8f}) {
      CAPTURE(p);
      Rng rng(42);
      const Tensor y = dropout(x, p, true, rng);
      REQUIRE(y.shape() == x.shape());
      const float kept = 2.0f * (1.0f / (1.0f - p));
      int64_t zeros = 0;
      for (int64_t i = 0; i < y.numel(); ++i) {
        if (y.data()[i] == 0.0f) {
          ++zeros;
        } else {
          REQUIRE(y.data()[i] == kept);
        }
      }
      // Binomial(n, p): 5 standard deviations is a bound that a correct mask never misses.
      const double n = static_cast<double>(y.numel());
      const double sigma = std::sqrt(p * (1.0 - p) / n);
      CHECK(std::abs(zeros / n - p) < 5.0 * sigma);
    }
  }

  TEST_CASE("dropout with the same seed draws the same mask") {
    const Tensor x = random_input({64, 33}, 1);
    Rng a(7), b(7), c(8);
    const Tensor ya = dropout(x, 0.5f, true, a);
    const Tensor yb = dropout(x, 0.5f, true, b);
    const Tensor yc = dropout(x, 0.5f, true, c);
    CHECK(ya.to_vector() == yb.to_vector());
    CHECK(ya.to_vector() != yc.to_vector());
    CHECK(a.state() == b.state());
    CHECK(dropout(x, 0.5f, true, a).to_vector() != ya.to_vector());  // the stream moves on
  }

  TEST_CASE("dropout is the identity in evaluation and for p = 0") {
    const Tensor x = random_input({5, 7}, 2);
    Rng rng(3);
    const Rng::State before = rng.state();
    CHECK(dropout(x, 0.9f, false, rng).is_same(x));
    CHECK(dropout(x, 0.0f, true, rng).is_same(x));
    CHECK(rng.state() == before);  // no draws
  }

  TEST_CASE("dropout backward multiplies the gradient by the mask") {
    const Tensor x = random_input({6, 9}, 4);
    // A fresh Rng per call keeps the mask fixed across the finite-difference evaluations.
    gradcheck(
        [](const std::vector<Tensor>& v) {
          Rng rng(11);
          return dropout(v[0], 0.3f, true, rng);
        },
        {x});
    Tensor y = random_input({100}, 5);
    Rng rng(12);
    const Tensor out = dropout(y, 0.5f, true, rng);
    backward(out, Tensor::ones(out.shape()));
    for (int64_t i = 0; i < y.numel(); ++i)
      CHECK(y.grad().data()[i] == (out.data()[i] == 0.0f ? 0.0f : 2.0f));
  }

  TEST_CASE("dropout rejects p outside [0, 1)") {
    const Tensor x = Tensor::zeros({3});
    Rng rng(1);
    CHECK_THROWS_WITH_AS(dropout(x, 1.0f, true, rng), "dropout: p = 1 is outside [0, 1)", Error);
    CHECK_THROWS_WITH_AS(dropout(x, -0.25f, false, rng), "dropout: p = -0.25 is outside [0, 1)",
                         Error);
    CHECK_THROWS_AS(dropout(x, std::numeric_limits<float>::quiet_NaN(), true, rng), Error);
  }
}
