// Initialisers: PyTorch's fans, bounds and standard deviations, seeded reproducibility.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "nn/init.h"

using namespace trit;
namespace init = trit::nn::init;

namespace {

struct Moments {
  double mean, stddev, max_abs;
};

Moments moments(const Tensor& t) {
  double sum = 0, sum_sq = 0, max_abs = 0;
  for (float v : t.to_vector()) {
    sum += v;
    sum_sq += double(v) * v;
    max_abs = std::max(max_abs, std::abs(double(v)));
  }
  const double mean = sum / t.numel();
  return {mean, std::sqrt(sum_sq / t.numel() - mean * mean), max_abs};
}

// For U(-b, b): std = b / sqrt(3), and with ~10^5 draws the extremes come within 0.1% of b.
void check_uniform(const Tensor& t, double bound) {
  const Moments m = moments(t);
  CAPTURE(bound);
  CHECK(m.max_abs <= bound);
  CHECK(m.max_abs >= 0.999 * bound);
  CHECK(std::abs(m.mean) < 0.02 * bound);
  CHECK(m.stddev == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.02));
}

void check_normal(const Tensor& t, double stddev) {
  const Moments m = moments(t);
  CAPTURE(stddev);
  CHECK(std::abs(m.mean) < 0.02 * stddev);
  CHECK(m.stddev == doctest::Approx(stddev).epsilon(0.02));
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("fans follow torch.nn.init for linear and conv weights") {
    CHECK(init::fans({6, 1, 5, 5}).in == 25);
    CHECK(init::fans({6, 1, 5, 5}).out == 150);
    CHECK(init::fans({500, 800}).in == 800);
    CHECK(init::fans({500, 800}).out == 500);
    CHECK_THROWS_WITH_AS(init::fans({10}),
                         "init: fan in and fan out need at least 2 dimensions, got [10]", Error);
  }

  TEST_CASE("initialisers draw from the documented distributions") {
    const Shape shape{200, 50, 3, 3};  // fan_in 450, fan_out 1800, 90000 values
    const double fan_in = 450, fan_out = 1800;
    Rng rng(7);
    Tensor t = Tensor::empty(shape);
    SUBCASE("PyTorch's Linear/Conv default: kaiming_uniform_(a = sqrt 5)") {
      init::default_weight_(t, rng);
      check_uniform(t, 1.0 / std::sqrt(fan_in));
    }
    SUBCASE("kaiming_uniform_ for relu, fan_out") {
      init::kaiming_uniform_(t, rng, 0.0f, init::FanMode::kFanOut);
      check_uniform(t, std::sqrt(2.0) * std::sqrt(3.0 / fan_out));
    }
    SUBCASE("kaiming_normal_") {
      init::kaiming_normal_(t, rng);
      check_normal(t, std::sqrt(2.0 / fan_in));
      init::kaiming_normal_(t, rng, 0.5f);
      check_normal(t, std::sqrt(2.0 / 1.25) / std::sqrt(fan_in));
    }
    SUBCASE("xavier (Glorot)") {
      init::xavier_uniform_(t, rng);
      check_uniform(t, std::sqrt(6.0 / (fan_in + fan_out)));
      init::xavier_normal_(t, rng, 2.0f);
      check_normal(t, 2.0 * std::sqrt(2.0 / (fan_in + fan_out)));
    }
    SUBCASE("the bias bound comes from the weight's fan_in") {
      Tensor bias = Tensor::empty({100000});
      init::default_bias_(bias, shape, rng);
      check_uniform(bias, 1.0 / std::sqrt(fan_in));
    }
  }

  TEST_CASE("the same seed gives the same initial values, another seed others") {
    Tensor a = Tensor::empty({20, 10}), b = Tensor::empty({20, 10}), c = Tensor::empty({20, 10});
    Rng r1(5), r2(5), r3(6);
    init::xavier_uniform_(a, r1);
    init::xavier_uniform_(b, r2);
    init::xavier_uniform_(c, r3);
    CHECK(a.to_vector() == b.to_vector());
    CHECK(a.to_vector() != c.to_vector());
    init::constant_(a, 0.25f);
    CHECK(a.to_vector() == std::vector<float>(200, 0.25f));
  }
}
