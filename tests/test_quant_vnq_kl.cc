// The VNQ KL surrogate against the spec's reference tables (shared/spec/vnq.md §9.1-§9.2),
// its symmetry and scale invariance, and the Highway kernel against the double reference.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "quant/vnq/kl.h"
#include "quant/vnq/reparam.h"
#include "tests/gradcheck.h"

using namespace trit;
using namespace trit::quant;

namespace {

struct Row {
  double a, theta, ls, kl, d_theta, d_ls, d_a;
};
// spec §9.2 (the theta = a row, "approximately 0", is checked separately)
const Row kTable[] = {
    {0.20, 0.000, -8, 0.172943, 0, -0.028612, 0.286123},
    {0.20, 0.050, -8, 1.713761, 24.353099, -0.601096, -0.077314},
    {0.20, 0.100, -8, 2.324533, 1.827311, -0.520176, 4.288108},
    {0.20, 0.150, -8, 1.783413, -26.903751, -0.594350, 26.121317},
    {0.20, 0.250, -8, 1.885464, 32.685015, -0.593495, -34.921314},
    {0.20, 0.400, -8, 3.700292, 3.273478, -0.499628, -1.550674},
    {0.20, 0.000, -4, 0.045040, 0, -0.031521, 0.315207},
    {0.20, 0.050, -4, 0.132529, 3.024724, -0.116043, 0.404245},
    {0.20, 0.100, -4, 0.255556, 0.795337, -0.229034, 1.892669},
    {0.20, 0.150, -4, 0.156963, -4.212299, -0.135839, 4.517610},
    {0.20, 0.250, -4, 0.264956, 10.153211, -0.178127, -10.910249},
    {0.20, 0.400, -4, 1.618333, 3.955338, -0.601756, -1.893117},
    {0.10, 0.025, -8, 0.888501, 42.408854, -0.520130, -0.199619},
    {0.10, 0.075, -8, 0.965367, -48.822871, -0.522282, 47.062793},
    {0.10, 0.125, -4, 0.089112, 7.264391, -0.078016, -7.520165},
    {0.10, 0.200, -4, 0.773134, 6.573433, -0.542504, -2.296784},
    {0.30, -0.330, -6, 0.257832, -15.985260, -0.175410, -16.414390},
};

// tolerance 1e-5, relative for large values (spec §9.2)
void check_close(double got, double want, double tol = 1e-5) {
  CHECK(std::abs(got - want) <= tol * std::max(1.0, std::abs(want)));
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("Sparse-VD block g matches spec §9.1") {
    const double log_alpha[] = {-8, -4, -2, -1, 0, 1, 2, 3, 4, 8};
    const double want[] = {4.635899, 2.634208, 1.540533, 0.913872, 0.431239,
                           0.177970, 0.068417, 0.025420, 0.009330, 0.000168};
    for (int i = 0; i < 10; ++i) {
      CAPTURE(log_alpha[i]);
      CHECK(std::abs(sparse_vd_kl_reference(log_alpha[i]) - want[i]) <= 1e-6);
    }
  }

  TEST_CASE("VNQ KL surrogate and gradients match spec §9.2") {
    for (const Row& row : kTable) {
      CAPTURE(row.a);
      CAPTURE(row.theta);
      CAPTURE(row.ls);
      const KlPoint p = vnq_kl_reference(row.theta, row.ls, row.a);
      check_close(p.kl, row.kl);
      check_close(p.d_theta, row.d_theta);
      check_close(p.d_log_sigma2, row.d_ls);
      check_close(p.d_a, row.d_a);
    }
    const KlPoint at_level = vnq_kl_reference(0.2, -8, 0.2);  // theta = a
    CHECK(std::abs(at_level.kl) <= 1e-6);
    CHECK(std::abs(at_level.d_theta) <= 1e-4);
    CHECK(std::abs(at_level.d_log_sigma2) <= 1e-4);
  }

  TEST_CASE("VNQ KL is symmetric in theta and scale invariant (spec §9.2)") {
    for (double theta : {0.03, 0.11, 0.27}) {
      const KlPoint plus = vnq_kl_reference(theta, -6, 0.2);
      const KlPoint minus = vnq_kl_reference(-theta, -6, 0.2);
      CHECK(plus.kl == doctest::Approx(minus.kl).epsilon(1e-12));
      CHECK(plus.d_theta == doctest::Approx(-minus.d_theta).epsilon(1e-10));
    }
    CHECK(vnq_kl_reference(0.0, -6, 0.2).d_theta == 0.0);
    const double scaled = vnq_kl_reference(0.15, -8 + 2 * std::log(2.0), 0.2).kl;
    check_close(vnq_kl_reference(0.075, -8, 0.1).kl, 0.965367);
    check_close(scaled, 0.965367);
  }

  TEST_CASE("vnq_kl kernel matches the double reference on every target") {
    trit::testing::for_each_target([] {
      for (int64_t n : {0, 1, 15, 16, 17, 333}) {
        CAPTURE(n);
        Rng rng(n + 1);
        Tensor theta = Tensor::uniform({n}, -0.45f, 0.45f, rng);
        Tensor ls = Tensor::uniform({n}, -10.0f, 1.0f, rng);
        if (n > 2) theta.data()[1] = 0.2f;  // exactly on the codebook: the d == 0 limits
        if (n > 2) theta.data()[2] = 0.0f;
        theta.set_requires_grad(true);
        ls.set_requires_grad(true);
        Tensor a = Tensor::scalar(0.2f).set_requires_grad(true);
        Tensor kl = vnq_kl(theta, ls, a);
        double want = 0.0, want_da = 0.0;
        for (int64_t i = 0; i < n; ++i)
          want += vnq_kl_reference(theta.data()[i], ls.data()[i], 0.2).kl;
        CHECK(kl.item() == doctest::Approx(want).epsilon(1e-4));
        kl.backward();
        for (int64_t i = 0; i < n; ++i) {
          const KlPoint p = vnq_kl_reference(theta.data()[i], ls.data()[i], 0.2);
          want_da += p.d_a;
          CAPTURE(i);
          CHECK(theta.grad().data()[i] ==
                doctest::Approx(p.d_theta).epsilon(1e-3).scale(1.0));
          CHECK(ls.grad().data()[i] == doctest::Approx(p.d_log_sigma2).epsilon(1e-3));
        }
        CHECK(a.grad().item() == doctest::Approx(want_da).epsilon(1e-3).scale(1.0));
      }
    });
  }

  TEST_CASE("vnq_kl kernel reproduces spec §9.2 to its tolerance on every target") {
    trit::testing::for_each_target([] {
      constexpr int64_t kCopies = 33;  // full vectors and a scalar tail on every target
      for (const Row& row : kTable) {
        CAPTURE(row.a);
        CAPTURE(row.theta);
        CAPTURE(row.ls);
        Tensor theta = Tensor::full({kCopies}, static_cast<float>(row.theta));
        Tensor ls = Tensor::full({kCopies}, static_cast<float>(row.ls));
        Tensor a = Tensor::scalar(static_cast<float>(row.a));
        for (Tensor* t : {&theta, &ls, &a}) t->set_requires_grad(true);
        Tensor kl = vnq_kl(theta, ls, a);
        kl.backward();
        check_close(kl.item() / kCopies, row.kl);
        check_close(a.grad().item() / kCopies, row.d_a);
        for (int64_t i = 0; i < kCopies; ++i) {
          CAPTURE(i);
          check_close(theta.grad().data()[i], row.d_theta);
          check_close(ls.grad().data()[i], row.d_ls);
        }
      }
    });
  }

  TEST_CASE("vnq_kl with a clip factor is vnq_kl of clip_to_band, bit for bit, on every target") {
    trit::testing::for_each_target([] {
      for (int64_t n : {0, 1, 15, 16, 17, 1000, 3000}) {
        CAPTURE(n);
        Rng rng(n + 5);
        const float a = 0.15f, b = 0.6f;
        // |theta| up to 0.5 > a + b sigma: about half the weights lie outside the band
        const Tensor theta = Tensor::uniform({n}, -0.5f, 0.5f, rng).set_requires_grad(true);
        const Tensor ls = Tensor::uniform({n}, -10.0f, 1.0f, rng).set_requires_grad(true);
        const Tensor level = Tensor::scalar(a).set_requires_grad(true);
        const Tensor fused = vnq_kl(theta, ls, level, b);
        fused.backward();
        const std::vector<float> d_theta = theta.grad().to_vector(), d_ls = ls.grad().to_vector();
        const float d_a = level.grad().item();
        for (Tensor t : {theta, ls, level}) t.zero_grad();

        const Tensor clipped = clip_to_band(theta, ls, a, b);
        const Tensor separate = vnq_kl(clipped, ls, level);
        separate.backward();
        CHECK(fused.item() == separate.item());
        CHECK(d_a == level.grad().item());
        for (int64_t i = 0; i < n; ++i) {
          CAPTURE(i);
          CHECK(d_theta[i] == theta.grad().data()[i]);  // straight through the clip
          CHECK(d_ls[i] == ls.grad().data()[i]);
        }
      }
    });
  }

  TEST_CASE("vnq_kl backward scales into new and existing gradients alike") {
    Rng rng(8);
    Tensor theta = Tensor::uniform({40}, -0.4f, 0.4f, rng).set_requires_grad(true);
    Tensor ls = Tensor::uniform({40}, -8.0f, -1.0f, rng).set_requires_grad(true);
    const Tensor a = Tensor::scalar(0.3f);
    (vnq_kl(theta, ls, a) * 0.25f).backward();  // fresh gradients: the cache is taken over
    const std::vector<float> d_theta = theta.grad().to_vector(), d_ls = ls.grad().to_vector();
    for (int64_t i = 0; i < 40; ++i) {
      const KlPoint p = vnq_kl_reference(theta.data()[i], ls.data()[i], 0.3);
      CHECK(d_theta[i] == doctest::Approx(0.25 * p.d_theta).epsilon(1e-3).scale(1.0));
      CHECK(d_ls[i] == doctest::Approx(0.25 * p.d_log_sigma2).epsilon(1e-3));
    }
    (vnq_kl(theta, ls, a) * 0.25f).backward();  // existing gradients: added into
    for (int64_t i = 0; i < 40; ++i) {
      CHECK(theta.grad().data()[i] == doctest::Approx(2 * d_theta[i]));
      CHECK(ls.grad().data()[i] == doctest::Approx(2 * d_ls[i]));
    }
  }

  TEST_CASE("vnq_kl's weight scales its value and gradients like a multiplication") {
    Rng rng(9);
    const Tensor theta = Tensor::uniform({50}, -0.4f, 0.4f, rng).set_requires_grad(true);
    const Tensor ls = Tensor::uniform({50}, -8.0f, -1.0f, rng).set_requires_grad(true);
    const Tensor a = Tensor::scalar(0.3f).set_requires_grad(true);
    const float weight = 1.0f / 60000;
    const Tensor folded = vnq_kl(theta, ls, a, 0.5f, weight);
    folded.backward();
    const std::vector<float> d_theta = theta.grad().to_vector(), d_ls = ls.grad().to_vector();
    const float d_a = a.grad().item();
    for (Tensor t : {theta, ls, a}) t.zero_grad();
    const Tensor multiplied = vnq_kl(theta, ls, a, 0.5f) * weight;
    multiplied.backward();
    CHECK(folded.item() == doctest::Approx(multiplied.item()).epsilon(1e-6));
    CHECK(d_a == doctest::Approx(a.grad().item()).epsilon(1e-6));
    CHECK(d_theta == theta.grad().to_vector());  // one float product either way
    CHECK(d_ls == ls.grad().to_vector());
  }

  TEST_CASE("vnq_kl backward matches finite differences") {
    Rng rng(7);
    Tensor theta = Tensor::uniform({3, 5}, -0.4f, 0.4f, rng).set_requires_grad(true);
    Tensor ls = Tensor::uniform({3, 5}, -6.0f, -2.0f, rng).set_requires_grad(true);
    Tensor a = Tensor::scalar(0.25f).set_requires_grad(true);
    trit::testing::gradcheck(
        [](const std::vector<Tensor>& x) { return vnq_kl(x[0], x[1], x[2]); }, {theta, ls, a},
        {1e-3f, 2e-2f, 2e-2f, 3});
  }

  TEST_CASE("vnq_kl rejects mismatched shapes and a non-positive level") {
    const Tensor theta = Tensor::zeros({4}), ls = Tensor::zeros({5});
    CHECK_THROWS_WITH_AS(vnq_kl(theta, ls, Tensor::scalar(0.2f)),
                         "vnq_kl: theta [4] and log_sigma2 [5] differ", Error);
    CHECK_THROWS_AS(vnq_kl(theta, Tensor::zeros({4}), Tensor::scalar(0.0f)), Error);
  }
}
