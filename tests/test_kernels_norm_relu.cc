// Fused batch-norm + ReLU kernels against scalar loops: x and z with different strides
// (gaps that must stay untouched), odd run lengths, 0 to 3 runs, on every target.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "autograd/kernels/norm_relu.h"
#include "tests/gradcheck.h"

using namespace trit;
using kernels::ChannelPair;
using trit::testing::random_floats;

namespace {

std::vector<ChannelPair> pairs() {
  std::vector<ChannelPair> all;
  for (size_t length : {0, 1, 15, 16, 17, 1000})
    for (size_t rows : {0, 1, 3}) all.push_back({rows, length, 3 * length + 7, length + 2});
  return all;
}

// f(x_offset, z_offset) for every element of the channel, in order.
template <class F>
void for_each_element(const ChannelPair& c, const F& f) {
  for (size_t r = 0; r < c.rows; ++r)
    for (size_t j = 0; j < c.length; ++j) f(r * c.x_stride + j, r * c.z_stride + j);
}

template <class Body>
void for_each_pair(const Body& body) {
  trit::testing::for_each_target([&] {
    for (const ChannelPair& c : pairs()) {
      CAPTURE(c.rows);
      CAPTURE(c.length);
      body(c, c.rows * c.x_stride, c.rows * c.z_stride);
    }
  });
}

void require_close(const std::vector<float>& got, const std::vector<float>& want, double eps) {
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(eps));
  }
}

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("norm_relu normalises, shifts and clips like a scalar loop") {
    for_each_pair([](const ChannelPair& c, size_t x_size, size_t z_size) {
      const auto x = random_floats(x_size, 1, 1.0f, 0.5f);
      const float mean = 0.4f, scale = 1.3f, shift = -0.2f;
      std::vector<float> z(z_size, -99.0f), want = z;
      for_each_element(c, [&](size_t xi, size_t zi) {
        want[zi] = std::max((x[xi] - mean) * scale + shift, 0.0f);
      });
      kernels::norm_relu(x.data(), c, mean, scale, shift, z.data());
      require_close(z, want, 1e-6);  // gaps keep -99
    });
  }

  TEST_CASE("relu_grad_sums masks dz where z is 0 and returns both batch-norm sums") {
    for_each_pair([](const ChannelPair& c, size_t x_size, size_t z_size) {
      const auto x = random_floats(x_size, 2, 1.0f, 0.5f);
      auto z = random_floats(z_size, 3);
      for (float& v : z) v = std::max(v, 0.0f);  // a ReLU output: about half zeros
      auto dz = random_floats(z_size, 4), want = dz;
      const float mean = 0.3f;
      double sum = 0.0, centered = 0.0;
      for_each_element(c, [&](size_t xi, size_t zi) {
        if (z[zi] <= 0.0f) want[zi] = 0.0f;
        sum += want[zi];
        centered += double(want[zi]) * (x[xi] - mean);
      });
      const kernels::NormGradSums got =
          kernels::relu_grad_sums(dz.data(), z.data(), x.data(), c, mean);
      REQUIRE(dz == want);
      const double scale = 1.0 + double(c.rows * c.length);  // sums of +-1 terms
      CHECK(got.sum == doctest::Approx(sum).epsilon(1e-5).scale(scale));
      CHECK(got.centered == doctest::Approx(centered).epsilon(1e-5).scale(scale));
    });
  }

  TEST_CASE("norm_input_grad_add adds a dz + b (x - mean) + k into x's layout") {
    for_each_pair([](const ChannelPair& c, size_t x_size, size_t z_size) {
      const auto x = random_floats(x_size, 5), dz = random_floats(z_size, 6);
      auto dx = random_floats(x_size, 7), want = dx;
      const float mean = -0.1f, a = 0.8f, b = -0.35f, k = 0.07f;
      for_each_element(
          c, [&](size_t xi, size_t zi) { want[xi] += a * dz[zi] + b * (x[xi] - mean) + k; });
      kernels::norm_input_grad_add(dz.data(), x.data(), c, mean, a, b, k, dx.data());
      require_close(dx, want, 1e-5);
    });
  }
}
