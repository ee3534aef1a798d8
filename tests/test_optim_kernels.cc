// Optimiser update kernels against scalar loops, on odd sizes, on every target.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/random.h"
#include "autograd/tensor.h"
#include "optim/kernels/update.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {

const size_t kSizes[] = {0, 1, 15, 16, 17, 1000};

std::vector<float> random_vector(size_t n, uint64_t seed) {
  Rng rng(seed);
  return Tensor::normal({static_cast<int64_t>(n)}, 0.0f, 1.0f, rng).to_vector();
}

void check_close(const std::vector<float>& got, const std::vector<double>& want) {
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
}

}  // namespace

TEST_SUITE("optim") {
  TEST_CASE("sgd_update matches a scalar loop with and without momentum") {
    const kernels::SgdStep variants[] = {{0.1f, 0.0f, 0.0f, 0.0f, false},
                                         {0.1f, 0.9f, 0.0f, 0.01f, false},
                                         {0.05f, 0.9f, 0.0f, 0.01f, true},
                                         {0.1f, 0.8f, 0.3f, 0.0f, false}};
    trit::testing::for_each_target([&] {
      for (size_t n : kSizes)
        for (const kernels::SgdStep& s : variants)
          for (bool first : {true, false}) {
            CAPTURE(n);
            CAPTURE(first);
            std::vector<float> p = random_vector(n, 1), buf = random_vector(n, 3);
            const std::vector<float> g = random_vector(n, 2);
            std::vector<double> want_p(n), want_buf(n);
            for (size_t i = 0; i < n; ++i) {
              double d = g[i] + double(s.weight_decay) * p[i];
              want_buf[i] = first ? d : s.momentum * double(buf[i]) + (1.0 - s.dampening) * d;
              if (s.momentum != 0.0f) d = s.nesterov ? d + s.momentum * want_buf[i] : want_buf[i];
              want_p[i] = p[i] - double(s.lr) * d;
            }
            const bool momentum = s.momentum != 0.0f;
            kernels::sgd_update(s, p.data(), g.data(), momentum ? buf.data() : nullptr, first, n);
            check_close(p, want_p);
            if (momentum) check_close(buf, want_buf);
          }
    });
  }

  TEST_CASE("adam_update matches a scalar loop, L2 and decoupled decay") {
    trit::testing::for_each_target([&] {
      for (size_t n : kSizes)
        for (bool decoupled : {false, true}) {
          CAPTURE(n);
          CAPTURE(decoupled);
          const kernels::AdamStep s{0.01f, 0.9f, 0.99f, 1e-8f, 0.05f, decoupled, 0.02f, 0.3f};
          std::vector<float> p = random_vector(n, 4), m = random_vector(n, 5);
          std::vector<float> v = random_vector(n, 6);
          for (float& x : v) x = x * x;
          const std::vector<float> g = random_vector(n, 7);
          std::vector<double> want_p(n), want_m(n), want_v(n);
          for (size_t i = 0; i < n; ++i) {
            double pi = p[i], gi = g[i];
            if (decoupled) {
              pi *= 1.0 - double(s.lr) * s.weight_decay;
            } else {
              gi += double(s.weight_decay) * pi;
            }
            want_m[i] = s.beta1 * double(m[i]) + (1.0 - s.beta1) * gi;
            want_v[i] = s.beta2 * double(v[i]) + (1.0 - s.beta2) * gi * gi;
            want_p[i] = pi - double(s.step_size) * want_m[i] /
                                 (std::sqrt(want_v[i]) / s.bias_correction2_sqrt + s.eps);
          }
          kernels::adam_update(s, p.data(), g.data(), m.data(), v.data(), n);
          check_close(m, want_m);
          check_close(v, want_v);
          check_close(p, want_p);
        }
    });
  }
}
