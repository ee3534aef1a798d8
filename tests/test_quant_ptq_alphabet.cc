// Alphabets and memoryless scalar quantisation (ptq.md §2): levels, rounding, error levels.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>

#include "autograd/error.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/metrics.h"
#include "quant/ptq/synthetic.h"

using namespace trit;
using namespace trit::quant;

TEST_SUITE("quant") {
  TEST_CASE("alphabet levels include both ends exactly, and 0 when L is odd") {
    for (const int levels : {2, 3, 4, 7, 15}) {
      CAPTURE(levels);
      const Alphabet a{0.37, levels};
      CHECK(a.level(0) == -0.37);
      CHECK(a.level(levels - 1) == 0.37);
      if (levels % 2) CHECK(a.level(levels / 2) == 0.0);
      for (int k = 1; k < levels; ++k) {
        CHECK(a.level(k) - a.level(k - 1) == doctest::Approx(a.step()).epsilon(1e-12));
      }
    }
    CHECK(Alphabet{1.0, 7}.step() == doctest::Approx(1.0 / 3.0));
  }

  TEST_CASE("nearest level rounds to the closest point and clamps outside [-c, c]") {
    const Alphabet a{1.0, 5};  // {-1, -0.5, 0, 0.5, 1}
    CHECK(a.nearest(0.2) == 0.0);
    CHECK(a.nearest(0.3) == 0.5);
    CHECK(a.nearest(-0.74) == -0.5);
    CHECK(a.nearest(-0.76) == -1.0);
    CHECK(a.nearest(7.0) == 1.0);
    CHECK(a.nearest(-7.0) == -1.0);
    const Alphabet binary{2.0, 2};
    CHECK(binary.nearest(0.1) == 2.0);
    CHECK(binary.nearest(-0.1) == -2.0);
  }

  TEST_CASE("next level above and below count a level within the tolerance as reached") {
    const Alphabet a{1.0, 5};
    CHECK(a.level_at_or_above(0.1, 1e-12) == 0.5);
    CHECK(a.level_at_or_below(0.1, 1e-12) == 0.0);
    CHECK(a.level_at_or_above(0.5, 1e-12) == 0.5);
    CHECK(a.level_at_or_below(0.5, 1e-12) == 0.5);
    CHECK(a.level_at_or_above(0.5 + 1e-13, 1e-12) == 0.5);
    CHECK(a.level_at_or_below(0.5 - 1e-13, 1e-12) == 0.5);
    CHECK(a.level_at_or_above(1.0, 1e-12) == 1.0);
    CHECK(a.level_at_or_below(-1.0, 1e-12) == -1.0);
    CHECK(a.contains(-0.5 + 1e-13, 1e-12));
    CHECK_FALSE(a.contains(-0.5 + 1e-9, 1e-12));
  }

  TEST_CASE("layer and per-neuron scales are the largest magnitudes") {
    Eigen::MatrixXd w(3, 2);
    w << 0.5, -0.1, -2.0, 0.2, 1.0, 0.05;
    const auto layer = layer_alphabets(w, 3);
    CHECK(layer[0].scale == 2.0);
    CHECK(layer[1].scale == 2.0);
    const auto neuron = layer_alphabets(w, 3, ScaleMode::per_neuron_max);
    CHECK(neuron[0].scale == 2.0);
    CHECK(neuron[1].scale == 0.2);
    CHECK(layer_alphabets(Eigen::MatrixXd::Zero(2, 1), 3)[0].scale == 1.0);
    CHECK_THROWS_WITH_AS(layer_alphabets(w, 1), "layer_alphabets: levels = 1 < 2", Error);
    CHECK_THROWS_WITH_AS(msq(w, layer_alphabets(w.leftCols(1), 3)),
                         "msq: 1 alphabets for 2 neurons", Error);
  }

  TEST_CASE("MSQ error per entry is at most half a step and every entry is a level") {
    Rng rng(3);
    const Eigen::MatrixXd w = uniform_matrix(200, 3, -1.0, 1.0, rng);
    for (const int levels : {2, 3, 7, 16}) {
      const auto alphabets = layer_alphabets(w, levels);
      const Eigen::MatrixXd q = msq(w, alphabets);
      CHECK((w - q).cwiseAbs().maxCoeff() <= alphabets[0].step() / 2 + 1e-15);
      for (Eigen::Index i = 0; i < q.size(); ++i) CHECK(alphabets[0].contains(q(i), 0.0));
    }
  }

  TEST_CASE("MSQ relative error on isotropic data is 1/(L-1) for uniform weights (spec 2)") {
    // ||X(w-q)|| / ||Xw|| ~ ||w-q|| / ||w||: 0.5 (K=1), 1/6 (K=3), 1/14 (K=7), ~1 (binary).
    Rng rng(5);
    const Eigen::MatrixXd w = uniform_matrix(4000, 4, -1.0, 1.0, rng);
    const Eigen::MatrixXd x = gaussian_matrix(200, 4000, rng);
    const std::pair<int, double> cases[] = {{3, 0.5}, {7, 1.0 / 6}, {15, 1.0 / 14}, {2, 1.0}};
    for (const auto& c : cases) {
      CAPTURE(c.first);
      const Eigen::MatrixXd q = msq(w, layer_alphabets(w, c.first));
      CHECK((w - q).norm() / w.norm() == doctest::Approx(c.second).epsilon(0.03));
      CHECK(relative_error(x, w, q) == doctest::Approx(c.second).epsilon(0.06));
    }
  }
}
