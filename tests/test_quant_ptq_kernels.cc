// The double-precision kernels of the pre-processing walk against scalar loops, every target.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "autograd/random.h"
#include "quant/ptq/kernels/rank_one.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {

std::vector<double> random_doubles(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal();
  return v;
}

// (rows, cols): empty, one, lane-boundary neighbours, and a realistic size.
const std::pair<int64_t, int64_t> kShapes[] = {{0, 0}, {1, 1},  {7, 3},    {8, 5},
                                               {9, 9}, {3, 17}, {257, 256}};

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("column-major gemv matches a scalar loop") {
    trit::testing::for_each_target([] {
      for (const auto& [rows, cols] : kShapes) {
        const int64_t lda = rows + 2;  // padding rows are never read
        const auto a = random_doubles(lda * cols, 1), x = random_doubles(cols, 2);
        std::vector<double> y(rows, 99.0), expected(rows, 0.0);
        for (int64_t c = 0; c < cols; ++c) {
          for (int64_t i = 0; i < rows; ++i) expected[i] += a[i + c * lda] * x[c];
        }
        kernels::gemv_colmajor(a.data(), rows, cols, lda, x.data(), y.data());
        for (int64_t i = 0; i < rows; ++i)
          CHECK(y[i] == doctest::Approx(expected[i]).epsilon(1e-12));
      }
    });
  }

  TEST_CASE("rank-one update fused with gemv matches scalar loops") {
    trit::testing::for_each_target([] {
      for (const auto& [rows, cols] : kShapes) {
        for (const bool with_gemv : {true, false}) {
          const int64_t lda = rows + 1;
          auto a = random_doubles(lda * cols, 3);
          const auto u = random_doubles(rows, 4), v = random_doubles(cols, 5),
                     x = random_doubles(cols, 6);
          std::vector<double> expected_a = a, expected_y(rows, 0.0), y(rows, 42.0);
          for (int64_t c = 0; c < cols; ++c) {
            for (int64_t i = 0; i < rows; ++i) {
              expected_a[i + c * lda] -= u[i] * v[c];
              expected_y[i] += expected_a[i + c * lda] * x[c];
            }
          }
          kernels::rank_one_update_gemv(a.data(), rows, cols, lda, u.data(), v.data(),
                                        with_gemv ? x.data() : nullptr, y.data());
          for (size_t k = 0; k < a.size(); ++k) {
            CHECK(a[k] == doctest::Approx(expected_a[k]).epsilon(1e-12));
          }
          for (int64_t i = 0; i < rows; ++i) {
            CHECK(y[i] == (with_gemv ? doctest::Approx(expected_y[i]).epsilon(1e-12)
                                     : doctest::Approx(42.0)));
          }
        }
      }
    });
  }
}
