// VNQ's elementwise kernels (quant/vnq/kernels/reparam.h) against scalar loops on every target,
// and the ops built on them (quant/vnq/reparam.h) against their unfused definitions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/random.h"
#include "quant/vnq/kernels/reparam.h"
#include "quant/vnq/reparam.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::random_floats;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

void check_close(float got, double want) {
  CHECK(std::abs(got - want) <= 1e-6 * (1.0 + std::abs(want)));
}

// Variances with negative values (rounding in f(x^2, sigma^2)), zeros and positives.
std::vector<float> variances(size_t n, uint64_t seed) {
  auto v = random_floats(n, seed, 1.0f, 0.5f);
  for (size_t i = 0; i < n; i += 7) v[i] = 0.0f;
  return v;
}

Tensor tensor(const Shape& shape, const std::vector<float>& values) {
  return Tensor::from(shape, values);
}
}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("reparameterize kernels match scalar loops on every target") {
    trit::testing::for_each_target([] {
      for (size_t n : kSizes) {
        CAPTURE(n);
        const auto mean = random_floats(n, 1), var = variances(n, 2), z = random_floats(n, 3);
        std::vector<float> out(n), slope(n);
        kernels::reparameterize(mean.data(), var.data(), z.data(), out.data(), slope.data(), n);
        for (size_t i = 0; i < n; ++i) {
          const double s = std::sqrt(std::max(double(var[i]), 0.0) + 1e-8);
          check_close(out[i], mean[i] + s * z[i]);
          check_close(slope[i], z[i] / (2 * s));
        }
        auto in_place = z;  // var_slope may alias the noise
        kernels::reparameterize(mean.data(), var.data(), in_place.data(), out.data(),
                                in_place.data(), n);
        CHECK(in_place == slope);

        const auto g = random_floats(n, 4);
        auto d_mean = random_floats(n, 5), d_var = random_floats(n, 6);
        const auto d_mean0 = d_mean, d_var0 = d_var;
        kernels::reparameterize_backward(g.data(), slope.data(), {d_mean.data(), true},
                                         {d_var.data(), true}, n);
        for (size_t i = 0; i < n; ++i) {
          check_close(d_mean[i], double(d_mean0[i]) + g[i]);
          check_close(d_var[i], d_var0[i] + double(g[i]) * slope[i]);
        }
        kernels::reparameterize_backward(g.data(), slope.data(), {}, {d_var.data(), true}, n);
        kernels::reparameterize_backward(g.data(), slope.data(), {d_mean.data(), true}, {}, n);
        for (size_t i = 0; i < n; ++i) {
          check_close(d_mean[i], double(d_mean0[i]) + 2.0 * g[i]);
          check_close(d_var[i], d_var0[i] + 2.0 * g[i] * slope[i]);
        }
        kernels::reparameterize_backward(g.data(), slope.data(), {d_mean.data(), false},
                                         {d_var.data(), false}, n);  // assign
        for (size_t i = 0; i < n; ++i) {
          CHECK(d_mean[i] == g[i]);
          check_close(d_var[i], double(g[i]) * slope[i]);
        }
      }
    });
  }

  TEST_CASE("reparameterize_sampled equals reparameterize on normal_fill noise, any threads") {
    const int threads = kernels::num_threads();
    trit::testing::for_each_target([] {
      for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{17}, size_t{300007}}) {
        CAPTURE(n);
        const auto mean = random_floats(n, 7), var = variances(n, 8);
        std::vector<float> z(n), want(n), want_slope(n), out(n), slope(n);
        kernels::normal_fill(99, 0, 0.0f, 1.0f, z.data(), n);
        kernels::reparameterize(mean.data(), var.data(), z.data(), want.data(), want_slope.data(),
                                n);
        for (int t : {1, 2}) {
          kernels::set_num_threads(t);
          kernels::reparameterize_sampled(mean.data(), var.data(), 99, out.data(), slope.data(), n);
          CHECK(out == want);
          CHECK(slope == want_slope);
        }
      }
    });
    kernels::set_num_threads(threads);
  }

  TEST_CASE("reparameterize kernels with a channel bias match scalar loops on every target") {
    struct Layout {
      size_t images, channels, plane;
    };
    const Layout layouts[] = {{0, 3, 5},  {1, 1, 1},  {2, 3, 1},   {3, 2, 15},
                              {2, 5, 17}, {2, 4, 65}, {2, 3, 200}, {3, 2, 128}};
    trit::testing::for_each_target([&] {
      for (const Layout& l : layouts) {
        const size_t n = l.images * l.channels * l.plane;
        CAPTURE(n);
        CAPTURE(l.plane);
        const auto mean = random_floats(n, 21), var = variances(n, 22);
        const auto bias = random_floats(l.channels, 23), g = random_floats(n, 24);
        const kernels::ChannelBias layout{bias.data(), l.channels, l.plane};
        std::vector<float> z(n), out(n), slope(n);
        kernels::normal_fill(31, 0, 0.0f, 1.0f, z.data(), n);
        kernels::reparameterize_sampled(mean.data(), var.data(), 31, out.data(), slope.data(), n,
                                        layout);
        for (size_t i = 0; i < n; ++i) {
          const double s = std::sqrt(std::max(double(var[i]), 0.0) + 1e-8);
          check_close(out[i], double(mean[i]) + bias[(i / l.plane) % l.channels] + s * z[i]);
          check_close(slope[i], z[i] / (2 * s));
        }

        std::vector<float> d_bias = random_floats(l.channels, 25), d_var = random_floats(n, 26);
        const auto d_bias0 = d_bias, d_var0 = d_var;
        kernels::reparameterize_backward_with_bias(g.data(), slope.data(), {d_var.data(), true},
                                                   layout, d_bias.data(), n);
        std::vector<double> sums(l.channels, 0.0);
        for (size_t i = 0; i < n; ++i) {
          check_close(d_var[i], d_var0[i] + double(g[i]) * slope[i]);
          sums[(i / l.plane) % l.channels] += g[i];
        }
        for (size_t c = 0; c < l.channels; ++c) check_close(d_bias[c], d_bias0[c] + sums[c]);
        auto in_place = slope;  // d_var over the slope, assigned
        kernels::reparameterize_backward_with_bias(
            g.data(), in_place.data(), {in_place.data(), false}, layout, d_bias.data(), n);
        for (size_t i = 0; i < n; ++i) check_close(in_place[i], double(g[i]) * slope[i]);
      }
    });
  }

  TEST_CASE("clip_to_band kernel matches a scalar loop on every target") {
    trit::testing::for_each_target([] {
      for (size_t n : kSizes) {
        CAPTURE(n);
        const auto theta = random_floats(n, 9, 0.5f), ls = random_floats(n, 10, 2.0f, -4.0f);
        std::vector<float> out(n);
        kernels::clip_to_band(theta.data(), ls.data(), 0.2f, 2.0f, out.data(), n);
        for (size_t i = 0; i < n; ++i) {
          const double band = 0.2 + 2.0 * std::exp(0.5 * ls[i]);
          check_close(out[i], std::clamp(double(theta[i]), -band, band));
        }
        auto in_place = theta;  // out may alias theta
        kernels::clip_to_band(in_place.data(), ls.data(), 0.2f, 2.0f, in_place.data(), n);
        CHECK(in_place == out);
        std::vector<float> with_variance(n), sigma2(n);
        kernels::clip_to_band(theta.data(), ls.data(), 0.2f, 2.0f, with_variance.data(), n,
                              sigma2.data());
        CHECK(with_variance == out);
        for (size_t i = 0; i < n; ++i) check_close(sigma2[i], std::exp(double(ls[i])));
      }
    });
  }

  TEST_CASE("clip_to_band's band is a + b exp(ls / 2) over the whole float range") {
    // theta beyond every band, so out is the band: its exp (autograd/kernels/exp-inl.h) to
    // a few ulp on [-86, 88], 0 below, capped (finite) above
    trit::testing::for_each_target([] {
      std::vector<float> ls;
      for (float half = -100.0f; half <= 100.0f; half += 0.37f) ls.push_back(2.0f * half);
      const std::vector<float> theta(ls.size(), 3e38f);
      std::vector<float> band(ls.size());
      kernels::clip_to_band(theta.data(), ls.data(), 0.5f, 1.0f, band.data(), ls.size());
      for (size_t i = 0; i < ls.size(); ++i) {
        const double half = 0.5 * ls[i];
        CAPTURE(half);
        if (half < -86.0) {
          CHECK(band[i] == 0.5f);
        } else if (half > 88.0) {
          CHECK(std::isfinite(band[i]));
          CHECK(band[i] >= 1e38f);
        } else {
          const double want = 0.5 + std::exp(half);
          CHECK(std::abs(band[i] - want) <= 4e-7 * want);
        }
      }
    });
  }

  TEST_CASE("clip_to_band_with_variance is clip_to_band and exp, with both backwards") {
    Rng rng(21);
    const Tensor theta = Tensor::uniform({6, 7}, -0.6f, 0.6f, rng).set_requires_grad(true);
    Tensor ls = Tensor::uniform({6, 7}, -6.0f, 0.0f, rng).set_requires_grad(true);
    const quant::BandAndVariance both = quant::clip_to_band_with_variance(theta, ls, 0.2f, 0.5f);
    CHECK(both.theta_c.to_vector() == quant::clip_to_band(theta, ls, 0.2f, 0.5f).to_vector());
    for (int64_t i = 0; i < ls.numel(); ++i)
      CHECK(both.sigma2.data()[i] == doctest::Approx(std::exp(ls.data()[i])).epsilon(1e-6));
    // sigma2's gradient by finite differences (theta_c's is the straight-through identity)
    trit::testing::gradcheck(
        [&](const std::vector<Tensor>& x) {
          return quant::clip_to_band_with_variance(theta.detach(), x[0], 0.2f, 0.5f).sigma2;
        },
        {ls}, {1e-3f, 1e-2f, 1e-2f, 3});
    const Tensor g = Tensor::uniform({6, 7}, -1.0f, 1.0f, rng);
    ls.zero_grad();
    backward(quant::clip_to_band_with_variance(theta, ls, 0.2f, 0.5f).theta_c, g);
    CHECK(theta.grad().to_vector() == g.to_vector());
    CHECK_FALSE(ls.has_grad());
    CHECK_THROWS_WITH_AS(quant::clip_to_band_with_variance(theta, Tensor::zeros({3}), 0.2f, 0.5f),
                         "clip_to_band_with_variance: theta [6,7] and log_sigma2 [3] differ",
                         Error);
  }

  TEST_CASE("sample_local_reparameterize is local_reparameterize on Tensor::normal noise") {
    Rng data(12);
    Tensor mean = Tensor::normal({3, 5, 7}, 0.0f, 1.0f, data).set_requires_grad(true);
    Tensor var = Tensor::uniform({3, 5, 7}, 0.0f, 2.0f, data).set_requires_grad(true);
    const Tensor g = Tensor::normal({3, 5, 7}, 0.0f, 1.0f, data);
    Rng a(3), b(3);
    const Tensor fused = quant::sample_local_reparameterize(mean, var, a);
    backward(fused, g);
    const std::vector<float> d_mean = mean.grad().to_vector(), d_var = var.grad().to_vector();
    mean.zero_grad();
    var.zero_grad();
    const Tensor noise = Tensor::normal({3, 5, 7}, 0.0f, 1.0f, b);
    const Tensor plain = quant::local_reparameterize(mean, var, noise);
    backward(plain, g);
    CHECK(fused.to_vector() == plain.to_vector());
    CHECK(d_mean == mean.grad().to_vector());
    CHECK(d_var == var.grad().to_vector());
    CHECK(a.state() == b.state());
    CHECK_THROWS_AS(quant::sample_local_reparameterize(mean, Tensor::zeros({3, 5}), a), Error);
  }

  TEST_CASE("local_reparameterize backward writes a new var gradient and adds to an old one") {
    Rng data(5);
    const Shape shape{4, 9};
    Tensor mean = Tensor::normal(shape, 0.0f, 1.0f, data).set_requires_grad(true);
    Tensor var = Tensor::from(shape, variances(36, 9)).set_requires_grad(true);
    const Tensor noise = Tensor::normal(shape, 0.0f, 1.0f, data);
    const Tensor g = Tensor::normal(shape, 0.0f, 1.0f, data);
    for (int pass = 1; pass <= 2; ++pass) {  // the second pass adds into the first's gradients
      CAPTURE(pass);
      backward(quant::local_reparameterize(mean, var, noise), g);
      for (int64_t i = 0; i < 36; ++i) {
        const double s = std::sqrt(std::max(double(var.data()[i]), 0.0) + 1e-8);
        check_close(var.grad().data()[i], pass * g.data()[i] * noise.data()[i] / (2 * s));
        check_close(mean.grad().data()[i], pass * g.data()[i]);
      }
    }
  }

  TEST_CASE("sample_local_reparameterize with a bias: values, gradients and errors") {
    Rng data(8);
    const Shape shape{2, 3, 4, 5};
    const Tensor mean = Tensor::normal(shape, 0.0f, 1.0f, data).set_requires_grad(true);
    const Tensor var = Tensor::uniform(shape, 0.5f, 2.0f, data).set_requires_grad(true);
    const Tensor bias = Tensor::normal({3}, 0.0f, 1.0f, data).set_requires_grad(true);
    Rng a(4), b(4);
    const Tensor with_bias = quant::sample_local_reparameterize(mean, var, bias, a);
    const Tensor without = quant::sample_local_reparameterize(mean.detach(), var.detach(), b);
    for (int64_t i = 0; i < mean.numel(); ++i)  // out = (mean + bias[c]) + s z
      check_close(with_bias.data()[i] - bias.data()[(i / 20) % 3], without.data()[i]);
    clear_tape();
    const auto sampled = [](const std::vector<Tensor>& in) {
      Rng rng(4);  // the same noise on every call
      return quant::sample_local_reparameterize(in[0], in[1], in[2], rng);
    };
    trit::testing::gradcheck(sampled, {mean, var, bias});
    CHECK_THROWS_WITH_AS(quant::sample_local_reparameterize(mean, var, Tensor::zeros({4}), a),
                         "sample_local_reparameterize: bias [4] is not one value per channel of "
                         "mean [2,3,4,5]",
                         Error);
  }

  TEST_CASE("clip_to_band is a straight-through clip to a + b sigma") {
    const Tensor theta = tensor({4}, {-0.9f, -0.1f, 0.25f, 0.7f}).set_requires_grad(true);
    const Tensor ls = tensor({4}, {-2.0f, -2.0f, -6.0f, -1.0f});
    const Tensor y = quant::clip_to_band(theta, ls, 0.2f, 0.5f);
    std::vector<float> bound;
    for (float l : ls.to_vector()) bound.push_back(0.2f + 0.5f * std::exp(0.5f * l));
    const Tensor want = quant::clip_straight_through(theta.detach(), tensor({4}, bound));
    for (int64_t i = 0; i < 4; ++i) CHECK(y.data()[i] == doctest::Approx(want.data()[i]));
    CHECK(y.data()[0] > -0.9f);  // clipped at both ends, the inside kept
    CHECK(y.data()[1] == -0.1f);
    backward(y, tensor({4}, {1.0f, 2.0f, 3.0f, 4.0f}));
    CHECK(theta.grad().to_vector() == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f});
    CHECK_THROWS_AS(quant::clip_to_band(theta, Tensor::zeros({3}), 0.2f, 0.5f), Error);
  }
}
