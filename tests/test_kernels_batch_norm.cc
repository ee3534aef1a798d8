// Batch-norm channel kernels against scalar loops: odd run lengths, several runs with a
// gap between them (which must stay untouched), on every target.
#include <doctest/doctest.h>

#include <vector>

#include "autograd/kernels/batch_norm.h"
#include "autograd/random.h"
#include "tests/gradcheck.h"

using namespace trit;
using kernels::ChannelLayout;

namespace {

std::vector<float> random_vector(size_t n, uint64_t seed, float offset) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.normal() + offset;
  return v;
}

// Every layout tested: runs of odd lengths, 0 to 3 runs, gaps of 5 floats between runs.
std::vector<ChannelLayout> layouts() {
  std::vector<ChannelLayout> all;
  for (size_t length : {0, 1, 15, 16, 17, 1000})
    for (size_t rows : {0, 1, 3}) all.push_back({rows, length, length + 5});
  return all;
}

size_t extent(const ChannelLayout& c) { return c.rows * c.stride; }

// Calls f(i) for every element offset of the channel, in order.
template <class F>
void for_each_offset(const ChannelLayout& c, const F& f) {
  for (size_t r = 0; r < c.rows; ++r)
    for (size_t j = 0; j < c.length; ++j) f(r * c.stride + j);
}

// body(c) for every layout, on every target.
template <class Body>
void for_each_layout(const Body& body) {
  trit::testing::for_each_target([&] {
    for (const ChannelLayout& c : layouts()) {
      CAPTURE(c.rows);
      CAPTURE(c.length);
      body(c);
    }
  });
}

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("batch-norm channel sums match scalar loops") {
    for_each_layout([](const ChannelLayout& c) {
      const auto x = random_vector(extent(c), 1, 3.0f), g = random_vector(extent(c), 2, 0.0f);
      const float mean = 2.75f;
      double sum = 0.0, squares = 0.0, dot = 0.0;
      for_each_offset(c, [&](size_t i) {
        sum += x[i];
        squares += (double(x[i]) - mean) * (double(x[i]) - mean);
        dot += double(g[i]) * (double(x[i]) - mean);
      });
      CHECK(kernels::channel_sum(x.data(), c) == doctest::Approx(sum).epsilon(1e-6));
      CHECK(kernels::channel_centered_dot(x.data(), mean, x.data(), mean, c) ==
            doctest::Approx(squares).epsilon(1e-5));
      CHECK(kernels::channel_centered_dot(g.data(), 0.0f, x.data(), mean, c) ==
            doctest::Approx(dot).epsilon(1e-5).scale(1.0 + c.rows * c.length));
    });
  }

  TEST_CASE("batch-norm normalise and input-gradient kernels match scalar loops") {
    for_each_layout([](const ChannelLayout& c) {
      const auto x = random_vector(extent(c), 3, 1.0f), g = random_vector(extent(c), 4, 0.0f);
      const float mean = 0.8f, scale = 1.7f, shift = -0.3f, a = 0.9f, b = -0.4f, k = 0.05f;
      std::vector<float> y(extent(c), -99.0f), want_y = y;
      std::vector<float> dx = random_vector(extent(c), 5, 0.0f), want_dx = dx;
      for_each_offset(c, [&](size_t i) {
        want_y[i] = (x[i] - mean) * scale + shift;
        want_dx[i] += a * g[i] + b * (x[i] - mean) + k;
      });
      kernels::channel_normalize(x.data(), c, mean, scale, shift, y.data());
      kernels::channel_input_grad_add(g.data(), x.data(), c, mean, a, b, k, dx.data());
      for (size_t i = 0; i < extent(c); ++i) {  // gaps compare equal to their old values
        CAPTURE(i);
        REQUIRE(y[i] == doctest::Approx(want_y[i]).epsilon(1e-6));
        REQUIRE(dx[i] == doctest::Approx(want_dx[i]).epsilon(1e-5));
      }
    });
  }
}
