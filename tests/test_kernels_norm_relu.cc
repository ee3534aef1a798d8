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
      const kernels::NormAffine n{0.4f, 1.3f, -0.2f};
      std::vector<float> z(z_size, -99.0f), want = z;
      for_each_element(c, [&](size_t xi, size_t zi) {
        want[zi] = std::max((x[xi] - n.mean) * n.scale + n.shift, 0.0f);
      });
      kernels::norm_relu(x.data(), c, n, z.data());
      require_close(z, want, 1e-6);  // gaps keep -99
    });
  }

  TEST_CASE("norm_relu_grad masks dz where the ReLU was off, adds a g into dx, sums g") {
    for_each_pair([](const ChannelPair& c, size_t x_size, size_t z_size) {
      const auto x = random_floats(x_size, 2, 1.0f, 0.5f), dz = random_floats(z_size, 4);
      const kernels::NormAffine n{0.3f, 0.9f, -0.1f};  // about half of the ReLUs are off
      const float a = 0.7f;
      std::vector<float> z(z_size);
      kernels::norm_relu(x.data(), c, n, z.data());
      auto dx = random_floats(x_size, 7), want = dx;
      double sum = 0.0, centered = 0.0;
      for_each_element(c, [&](size_t xi, size_t zi) {
        const float g = z[zi] > 0.0f ? dz[zi] : 0.0f;
        want[xi] += a * g;
        sum += g;
        centered += double(g) * (x[xi] - n.mean);
      });
      const double scale = 1.0 + double(c.rows * c.length);  // sums of +-1 terms
      for (float* target : {dx.data(), static_cast<float*>(nullptr)}) {
        CAPTURE(target == nullptr);
        const kernels::NormGradSums got =
            kernels::norm_relu_grad(dz.data(), x.data(), c, n, a, target);
        CHECK(got.sum == doctest::Approx(sum).epsilon(1e-5).scale(scale));
        CHECK(got.centered == doctest::Approx(centered).epsilon(1e-5).scale(scale));
      }
      require_close(dx, want, 1e-5);  // added once; gaps untouched
    });
  }

  TEST_CASE("add_centered adds b (x - mean) + k over x's layout") {
    for_each_pair([](const ChannelPair& c, size_t x_size, size_t) {
      const auto x = random_floats(x_size, 5);
      auto dx = random_floats(x_size, 6), want = dx;
      const float mean = -0.1f, b = -0.35f, k = 0.07f;
      for_each_element(c, [&](size_t xi, size_t) { want[xi] += b * (x[xi] - mean) + k; });
      kernels::add_centered(x.data(), c, mean, b, k, dx.data());
      require_close(dx, want, 1e-5);
    });
  }
}
