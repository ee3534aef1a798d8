// Row softmax / log-softmax kernels and their backward against double loops, every target.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/kernels/softmax.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

// softmax of one row in double.
std::vector<double> softmax_ref(const float* x, size_t cols) {
  double m = -INFINITY, total = 0.0;
  for (size_t i = 0; i < cols; ++i) m = std::max(m, double(x[i]));
  std::vector<double> p(cols);
  for (size_t i = 0; i < cols; ++i) total += p[i] = std::exp(x[i] - m);
  for (double& v : p) v /= total;
  return p;
}
}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("softmax kernels and their backward match double loops") {
    trit::testing::for_each_target([] {
      for (size_t rows : {1, 3})
        for (size_t cols : kSizes) {
          CAPTURE(rows);
          CAPTURE(cols);
          const size_t n = rows * cols;
          const auto x = trit::testing::random_floats(n, 31, 3.0f);
          const auto gy = trit::testing::random_floats(n, 32);
          std::vector<float> p(n), lp(n), gx_p = trit::testing::random_floats(n, 33), gx_lp = gx_p;
          const std::vector<float> gx0 = gx_p;
          kernels::softmax_rows(x.data(), rows, cols, p.data());
          kernels::log_softmax_rows(x.data(), rows, cols, lp.data());
          kernels::softmax_backward_rows(p.data(), gy.data(), rows, cols, gx_p.data());
          kernels::log_softmax_backward_rows(lp.data(), gy.data(), rows, cols, gx_lp.data());
          for (size_t r = 0; r < rows; ++r) {
            const auto want = softmax_ref(x.data() + r * cols, cols);
            double dot = 0.0, total = 0.0;  // sum(gy * p) and sum(gy) of the row
            for (size_t i = 0; i < cols; ++i) {
              dot += gy[r * cols + i] * want[i];
              total += gy[r * cols + i];
            }
            for (size_t i = 0; i < cols; ++i) {
              const size_t k = r * cols + i;
              CHECK(p[k] == doctest::Approx(want[i]).epsilon(1e-5).scale(0));
              CHECK(lp[k] == doctest::Approx(std::log(want[i])).epsilon(1e-5));
              CHECK(gx_p[k] == doctest::Approx(gx0[k] + want[i] * (gy[k] - dot)).epsilon(1e-4));
              CHECK(gx_lp[k] == doctest::Approx(gx0[k] + gy[k] - want[i] * total).epsilon(1e-4));
            }
          }
        }
    });
  }

  TEST_CASE("softmax kernels are exact for logits 1000 apart") {
    trit::testing::for_each_target([] {
      const std::vector<float> x = {0.0f, 1000.0f, -1000.0f, 1000.0f};
      std::vector<float> p(4), lp(4);
      kernels::softmax_rows(x.data(), 1, 4, p.data());
      kernels::log_softmax_rows(x.data(), 1, 4, lp.data());
      CHECK(p == std::vector<float>{0.0f, 0.5f, 0.0f, 0.5f});
      CHECK(lp[0] == doctest::Approx(-1000.0 - std::log(2.0)).epsilon(1e-6));
      CHECK(lp[1] == doctest::Approx(-std::log(2.0)).epsilon(1e-6));
      CHECK(lp[2] == doctest::Approx(-2000.0 - std::log(2.0)).epsilon(1e-6));
    });
  }
}
