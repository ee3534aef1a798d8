// max/avg/global pooling: known values, a naive reference on odd shapes, gradient checks,
// ties, shape errors; the pooling kernels against scalar loops.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/pool.h"
#include "autograd/ops/pool.h"
#include "tests/gradcheck.h"
#include "tests/window_cases.h"

using namespace trit;
using trit::testing::gradcheck;

namespace {

struct PoolCase {
  Shape x;
  int64_t kernel, stride, padding;
};

const PoolCase kCases[] = {
    {{2, 3, 6, 6}, 2, 2, 0},  {{1, 2, 7, 5}, 3, 2, 1},  {{2, 1, 5, 6}, 3, 1, 1},
    {{1, 2, 5, 5}, 2, 1, 0},  {{1, 1, 7, 10}, 3, 3, 0}, {{1, 2, 6, 9}, 4, 2, 2},
    {{1, 1, 3, 20}, 2, 2, 1},
};

// Distinct values 0.05 apart in a seeded random order: no ties, even after +-eps.
Tensor distinct_input(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  std::vector<float> values(size_t(t.numel()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.05f * float(i) - 1.0f;
  Rng rng(seed);
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng.below(i)]);
  std::copy(values.begin(), values.end(), t.data());
  t.set_requires_grad(true);
  return t;
}

// The definition, plane by plane: the max (first maximum wins, its index in argmax) or the
// average counting padding as zeros, accumulated in float in (ky, kx) order.
struct Pooled {
  std::vector<float> values;
  std::vector<int32_t> argmax;
};
Pooled scalar_pool(const float* x, int64_t planes, const kernels::Window2d& w, bool max) {
  const size_t outputs = size_t(planes * w.out_plane());
  Pooled out{std::vector<float>(outputs, max ? -std::numeric_limits<float>::infinity() : 0.0f),
             std::vector<int32_t>(outputs, -1)};
  trit::testing::for_each_tap(planes, w, [&](int64_t o, int64_t i) {
    float& acc = out.values[size_t(o)];
    int32_t& best = out.argmax[size_t(o)];
    if (best < 0 || (max && x[i] > acc)) best = int32_t(i % w.plane());
    acc = !max ? acc + x[i] : x[i] > acc ? x[i] : acc;
  });
  if (!max)
    for (float& v : out.values) v /= float(w.kernel_h * w.kernel_w);
  return out;
}

kernels::Window2d case_window(const PoolCase& c) {
  return {c.x[2], c.x[3], c.kernel, c.kernel, c.stride, c.padding};
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("pooling a 4x4 ramp matches hand computation") {
    std::vector<float> ramp(16);
    for (int i = 0; i < 16; ++i) ramp[size_t(i)] = float(i);
    const Tensor x = Tensor::from({1, 1, 4, 4}, ramp);
    CHECK(max_pool2d(x, 2, 2).to_vector() == std::vector<float>{5, 7, 13, 15});
    CHECK(avg_pool2d(x, 2, 2).to_vector() == std::vector<float>{2.5, 4.5, 10.5, 12.5});
    CHECK(max_pool2d(x, 3, 2, 1).to_vector() == std::vector<float>{5, 7, 13, 15});
    // Window rows/cols -1..1: (0 + 1 + 4 + 5) / 9, the padding counted.
    CHECK(avg_pool2d(x, 3, 2, 1).data()[0] == doctest::Approx(10.0 / 9.0));
    CHECK(global_avg_pool2d(x).shape() == Shape{1, 1});
    CHECK(global_avg_pool2d(x).item() == 7.5f);
  }

  TEST_CASE("max and average pooling match a naive reference on odd shapes") {
    for (const PoolCase& c : kCases) {
      CAPTURE(to_string(c.x));
      CAPTURE(c.kernel);
      CAPTURE(c.stride);
      CAPTURE(c.padding);
      const Tensor x = trit::testing::random_input(c.x, 11);
      const int64_t planes = c.x[0] * c.x[1];
      const std::vector<float> want_max =
          scalar_pool(x.data(), planes, case_window(c), true).values;
      const std::vector<float> want_avg =
          scalar_pool(x.data(), planes, case_window(c), false).values;
      CHECK(max_pool2d(x, c.kernel, c.stride, c.padding).to_vector() == want_max);
      const Tensor avg = avg_pool2d(x, c.kernel, c.stride, c.padding);
      REQUIRE(avg.numel() == int64_t(want_avg.size()));
      for (size_t i = 0; i < want_avg.size(); ++i)
        CHECK(avg.data()[i] == doctest::Approx(want_avg[i]).epsilon(1e-6));
    }
  }

  TEST_CASE("pooling backward matches finite differences") {
    for (const PoolCase& c : kCases) {
      CAPTURE(to_string(c.x));
      CAPTURE(c.kernel);
      const Tensor x = distinct_input(c.x, 12);
      gradcheck(
          [&c](const std::vector<Tensor>& v) {
            return max_pool2d(v[0], c.kernel, c.stride, c.padding);
          },
          {x});
      gradcheck(
          [&c](const std::vector<Tensor>& v) {
            return avg_pool2d(v[0], c.kernel, c.stride, c.padding);
          },
          {x});
    }
    gradcheck([](const std::vector<Tensor>& v) { return global_avg_pool2d(v[0]); },
              {distinct_input({2, 3, 5, 4}, 13)});
  }

  TEST_CASE("max_pool2d backward writes a new gradient and adds into an existing one") {
    // The first backward creates x's gradient (written plane by plane, no zeroing pass);
    // the second adds the same contributions into it, and an earlier gradient survives.
    for (const int64_t kernel : {2, 3}) {
      CAPTURE(kernel);
      const Tensor x = distinct_input({2, 3, 7, 6}, 14);
      const Tensor dy = distinct_input(max_pool2d(x.detach(), kernel, 2).shape(), 15).detach();
      backward(max_pool2d(x, kernel, 2), dy);
      const std::vector<float> once = x.grad().to_vector();
      REQUIRE(std::count(once.begin(), once.end(), 0.0f) > 0);  // unchosen inputs are zero
      backward(max_pool2d(x, kernel, 2), dy);
      const std::vector<float> twice = x.grad().to_vector();
      for (size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));
    }
  }

  TEST_CASE("max_pool2d routes the gradient of a tie to the first maximum") {
    Tensor x = Tensor::ones({1, 1, 4, 4});
    x.set_requires_grad(true);
    backward(max_pool2d(x, 2, 2), Tensor::from({1, 1, 2, 2}, {1, 2, 3, 4}));
    CHECK(x.grad().to_vector() ==
          std::vector<float>{1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0});
    x.zero_grad();  // padded windows: the first in-plane element of each window
    backward(max_pool2d(x, 3, 2, 1), Tensor::from({1, 1, 2, 2}, {1, 2, 3, 4}));
    CHECK(x.grad().to_vector() ==
          std::vector<float>{1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }

  TEST_CASE("pooling shape errors name the op and the shapes") {
    const Tensor x = Tensor::zeros({1, 1, 2, 2});
    CHECK_THROWS_WITH_AS(max_pool2d(x, 3, 1),
                         "max_pool2d: input [1,1,2,2] padded by 0 is "
                         "smaller than the 3x3 kernel",
                         Error);
    CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::zeros({4, 4}), 2, 2),
                         "avg_pool2d: input [4,4] must be 4-d [N,C,H,W]", Error);
    CHECK_THROWS_WITH_AS(avg_pool2d(x, 2, 2, 2),
                         "avg_pool2d: padding 2 is more than half the kernel 2", Error);
    CHECK_THROWS_WITH_AS(max_pool2d(x, 2, 0), "max_pool2d: stride 0 must be >= 1", Error);
    CHECK_THROWS_WITH_AS(global_avg_pool2d(Tensor::zeros({1, 2, 0, 3})),
                         "global_avg_pool2d: input [1,2,0,3] has empty planes", Error);
  }
}

TEST_SUITE("kernels") {
  TEST_CASE("pooling kernels match scalar loops on every target") {
    trit::testing::for_each_target([] {
      trit::testing::for_each_window(true, [](const kernels::Window2d& w) {
        const int64_t planes = 2, outputs = planes * w.out_plane();
        const std::vector<float> x =
            trit::testing::random_input({planes * w.plane()}, 21).to_vector();
        const Pooled want_max = scalar_pool(x.data(), planes, w, true);
        std::vector<float> y(size_t(outputs), 0.0f);
        std::vector<int32_t> argmax(size_t(outputs), -1);
        kernels::max_pool2d(x.data(), planes, w, y.data(), argmax.data());
        REQUIRE(y == want_max.values);
        REQUIRE(argmax == want_max.argmax);
        std::fill(y.begin(), y.end(), 0.0f);
        kernels::max_pool2d(x.data(), planes, w, y.data(), nullptr);  // values alone
        REQUIRE(y == want_max.values);
        kernels::avg_pool2d(x.data(), planes, w, y.data());
        REQUIRE(y == scalar_pool(x.data(), planes, w, false).values);

        const std::vector<float> dy = trit::testing::random_input({outputs}, 22).to_vector();
        std::vector<float> dx = x, want_dx = x;
        kernels::max_pool2d_backward(dy.data(), argmax.data(), planes, w, dx.data());
        for (int64_t o = 0; o < outputs; ++o)
          want_dx[size_t(o / w.out_plane() * w.plane() + argmax[size_t(o)])] += dy[size_t(o)];
        REQUIRE(dx == want_dx);

        dx = want_dx = x;
        kernels::avg_pool2d_backward(dy.data(), planes, w, dx.data());
        const float count = float(w.kernel_h * w.kernel_w);
        trit::testing::for_each_tap(
            planes, w, [&](int64_t o, int64_t i) { want_dx[size_t(i)] += dy[size_t(o)] / count; });
        for (size_t i = 0; i < dx.size(); ++i)
          REQUIRE(dx[i] == doctest::Approx(want_dx[i]).epsilon(1e-6));
      });
    });
  }
}
