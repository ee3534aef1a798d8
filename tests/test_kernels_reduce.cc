// sum_axis and max_axis against scalar loops over [outer, r, inner], on every target.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/kernels/reduce.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

// Small integers, so that maxima tie often.
std::vector<float> small_integers(size_t n, uint64_t seed) {
  auto v = trit::testing::random_floats(n, seed, 1.5f);
  for (float& x : v) x = std::round(x);
  return v;
}

// Every (r, inner) with one of them from kSizes and the other small, for outer 1 and 3.
template <class Body>
void for_each_layout(const Body& body) {
  for (size_t outer : {1, 3})
    for (size_t size : kSizes)
      for (size_t other : {1, 2, 17}) {
        body(outer, size, other);
        body(outer, other, size);
      }
}
}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("sum_axis matches a scalar loop over the middle axis") {
    trit::testing::for_each_target([] {
      for_each_layout([](size_t outer, size_t r, size_t inner) {
        CAPTURE(outer);
        CAPTURE(r);
        CAPTURE(inner);
        const auto x = trit::testing::random_floats(outer * r * inner, 21);
        std::vector<float> out(outer * inner, -1.0f);
        kernels::sum_axis(x.data(), outer, r, inner, out.data());
        for (size_t o = 0; o < outer; ++o)
          for (size_t j = 0; j < inner; ++j) {
            double want = 0.0, magnitude = 0.0;
            for (size_t k = 0; k < r; ++k) {
              want += x[(o * r + k) * inner + j];
              magnitude += std::abs(x[(o * r + k) * inner + j]);
            }
            REQUIRE(std::abs(out[o * inner + j] - want) <= 1e-6 * magnitude);
          }
      });
    });
  }

  TEST_CASE("max_axis matches a scalar loop and picks the first of tied maxima") {
    trit::testing::for_each_target([] {
      for_each_layout([](size_t outer, size_t r, size_t inner) {
        if (r == 0) return;
        CAPTURE(outer);
        CAPTURE(r);
        CAPTURE(inner);
        const auto x = small_integers(outer * r * inner, 22);
        std::vector<float> out(outer * inner);
        std::vector<int64_t> index(outer * inner, -1);
        kernels::max_axis(x.data(), outer, r, inner, out.data(), index.data());
        for (size_t o = 0; o < outer; ++o)
          for (size_t j = 0; j < inner; ++j) {
            size_t best = 0;
            for (size_t k = 1; k < r; ++k)
              if (x[(o * r + k) * inner + j] > x[(o * r + best) * inner + j]) best = k;
            REQUIRE(out[o * inner + j] == x[(o * r + best) * inner + j]);
            REQUIRE(index[o * inner + j] == static_cast<int64_t>(best));
          }
      });
    });
  }

  TEST_CASE("max_axis keeps indices in range for slices holding NaN") {
    trit::testing::for_each_target([] {
      const std::vector<float> x = {1.0f, NAN, 3.0f, NAN, NAN, NAN};
      std::vector<float> out(2);
      std::vector<int64_t> index(2, -1);
      kernels::max_axis(x.data(), 2, 3, 1, out.data(), index.data());
      for (int64_t i : index) CHECK((i >= 0 && i < 3));
    });
  }
}
