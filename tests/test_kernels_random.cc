// The counter-based normal generator: the scalar definition of random.h on every target,
// independence of splitting and threads, and the moments of a million draws.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/random.h"
#include "autograd/random.h"
#include "autograd/tensor.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {
const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

// z(key, j) as random.h defines it, in double.
double reference_normal(uint64_t key, uint64_t j) {
  const uint64_t block = j / kernels::kNormalBlock, lane = j % kernels::kNormalBlock;
  uint32_t bits1, bits2;
  kernels::normal_bits(kernels::normal_key(key), block * 8 + lane % 8, &bits1, &bits2);
  const double r = std::sqrt(-2.0 * std::log(double(kernels::normal_u1(bits1))));
  const double phi = 2.0 * M_PI * kernels::normal_u2(bits2) - M_PI / 4.0;
  return lane < 8 ? r * std::cos(phi) : r * std::sin(phi);
}

std::vector<float> fill(uint64_t key, uint64_t counter, size_t n, float mean = 0.0f,
                        float stddev = 1.0f) {
  std::vector<float> out(n);
  kernels::normal_fill(key, counter, mean, stddev, out.data(), n);
  return out;
}

struct Moments {
  double mean = 0, var = 0, kurtosis = 0, beyond2 = 0, beyond3 = 0;
};

Moments moments(const std::vector<float>& z) {
  Moments m;
  const double n = double(z.size());
  for (float v : z) m.mean += v / n;
  for (float v : z) {
    const double c = v - m.mean;
    m.var += c * c / n;
    m.kurtosis += c * c * c * c / n;
    m.beyond2 += (std::abs(c) > 2.0) / n;
    m.beyond3 += (std::abs(c) > 3.0) / n;
  }
  m.kurtosis /= m.var * m.var;
  return m;
}

// Sample correlation of z[i] and z[i + lag] over i, both ends of length n - lag.
double correlation(const std::vector<float>& z, size_t lag) {
  double sum = 0;
  for (size_t i = 0; i + lag < z.size(); ++i) sum += double(z[i]) * z[i + lag];
  return sum / double(z.size() - lag);
}
}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("normal_fill matches its scalar definition on every target") {
    trit::testing::for_each_target([] {
      for (uint64_t counter : {uint64_t{0}, uint64_t{5}, (uint64_t{1} << 33) - 20}) {
        for (size_t n : kSizes) {
          CAPTURE(counter);
          CAPTURE(n);
          const auto z = fill(42, counter, n, 0.5f, 2.0f);
          for (size_t i = 0; i < n; ++i) {
            const double want = 0.5 + 2.0 * reference_normal(42, counter + i);
            CAPTURE(i);
            CHECK(std::abs(z[i] - want) <= 1e-6 * (1.0 + std::abs(want)));
          }
        }
      }
    });
  }

  TEST_CASE("normal_fill values do not depend on the split into calls or on threads") {
    trit::testing::for_each_target([] {
      const auto whole = fill(7, 3, 1000);
      auto parts = fill(7, 3, 337);
      const auto rest = fill(7, 3 + 337, 663);
      parts.insert(parts.end(), rest.begin(), rest.end());
      CHECK(parts == whole);
      CHECK(fill(8, 3, 1000) != whole);  // the key matters
    });
    const int threads = kernels::num_threads();
    const size_t n = (size_t{1} << 20) + 7;
    kernels::set_num_threads(1);
    const auto one = fill(9, 11, n);
    kernels::set_num_threads(2);
    const auto two = fill(9, 11, n);
    kernels::set_num_threads(threads);
    CHECK(one == two);
  }

  TEST_CASE("a million normal_fill draws have the moments of N(0, 1)") {
    const size_t n = 1000000;  // standard errors: mean 1e-3, var 1.4e-3, P(|z|>2) 2.1e-4
    const auto z = fill(2024, 0, n);
    const Moments m = moments(z);
    CHECK(std::abs(m.mean) < 0.005);
    CHECK(std::abs(m.var - 1.0) < 0.007);
    CHECK(std::abs(m.kurtosis - 3.0) < 0.05);
    CHECK(std::abs(m.beyond2 - 0.0455) < 0.0011);
    CHECK(std::abs(m.beyond3 - 0.0027) < 0.0003);
    for (size_t lag : {1, 8, 16}) {  // neighbours, cos/sin of one pair, next block
      CAPTURE(lag);
      CHECK(std::abs(correlation(z, lag)) < 0.005);
    }
    // the cos and sin halves of the blocks each have unit variance
    double cos_sq = 0, sin_sq = 0;
    for (size_t i = 0; i < n; ++i) (i % 16 < 8 ? cos_sq : sin_sq) += 2.0 * z[i] * z[i] / n;
    CHECK(std::abs(cos_sq - 1.0) < 0.01);
    CHECK(std::abs(sin_sq - 1.0) < 0.01);
  }

  TEST_CASE("Tensor::normal draws one key per call from its Rng") {
    Rng a(5), b(5);
    const Tensor x = Tensor::normal({3, 7}, 1.0f, 0.5f, a);
    CHECK(x.to_vector() == Tensor::normal({3, 7}, 1.0f, 0.5f, b).to_vector());
    CHECK(a.state() == b.state());
    Rng c(5);
    c.next_u64();
    CHECK(a.state() == c.state());
    const Tensor y = Tensor::normal({3, 7}, 1.0f, 0.5f, a);  // a fresh key
    CHECK(y.to_vector() != x.to_vector());
    Rng d(5);
    CHECK(x.to_vector() == fill(d.next_u64(), 0, 21, 1.0f, 0.5f));
  }
}
