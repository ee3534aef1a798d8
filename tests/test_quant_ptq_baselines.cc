// GPFQ and OPTQ (ptq.md §7.2, §7.3) on tiny hand-checked cases, plus their basic properties.
#include <doctest/doctest.h>

#include <Eigen/Dense>

#include "autograd/error.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/gpfq.h"
#include "quant/ptq/metrics.h"
#include "quant/ptq/optq.h"
#include "quant/ptq/synthetic.h"

using namespace trit;
using namespace trit::quant;

TEST_SUITE("quant") {
  TEST_CASE("GPFQ carries the running error to the next weight (hand-checked)") {
    // X = [1 1 1], w = 0.4 each, ternary {-1, 0, 1}:
    // t=1: Q(0.4) = 0, u = 0.4; t=2: Q(0.8) = 1, u = -0.2; t=3: Q(0.2) = 0, u = 0.2.
    const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(1, 3);
    const Eigen::MatrixXd w = Eigen::MatrixXd::Constant(3, 1, 0.4);
    const std::vector<Alphabet> ternary = {Alphabet{1.0, 3}};
    CHECK(gpfq(x, w, ternary) == Eigen::Vector3d(0.0, 1.0, 0.0));
    CHECK(msq(w, ternary) == Eigen::Vector3d::Zero());
  }

  TEST_CASE("GPFQ with quantised-network inputs targets the analog outputs (hand-checked)") {
    // X = [1 1], Xq = [2 1], w = (0.5, 0.5), ternary: t=1: Q(<2, 0.5>/4) = Q(0.25) = 0,
    // u = 0.5; t=2: Q(<1, 0.5 + 0.5>/1) = Q(1) = 1, u = 0.5 + 0.5 - 1 = 0.
    Eigen::MatrixXd x(1, 2), xq(1, 2);
    x << 1, 1;
    xq << 2, 1;
    const Eigen::MatrixXd w = Eigen::MatrixXd::Constant(2, 1, 0.5);
    CHECK(gpfq(x, xq, w, {Alphabet{1.0, 3}}) == Eigen::Vector2d(0.0, 1.0));
  }

  TEST_CASE("GPFQ sends weights of dead inputs to the level nearest 0") {
    Eigen::MatrixXd x(2, 2);
    x << 0, 1, 0, 2;
    const Eigen::MatrixXd w = Eigen::MatrixXd::Constant(2, 1, 0.9);
    CHECK(gpfq(x, w, {Alphabet{1.0, 3}})(0, 0) == 0.0);
  }

  TEST_CASE("OPTQ re-fits the remaining weights to the rounding error (hand-checked)") {
    // X = [[1,0],[1,1]]: H = [[2,1],[1,1]], H^-1 = [[1,-1],[-1,2]] = U^T U with
    // U = [[1,-1],[0,1]]. w = (0.4, 0.4): q1 = Q(0.4) = 0, e = 0.4, w2 = 0.4 + 0.4 = 0.8,
    // q2 = Q(0.8) = 1.
    Eigen::MatrixXd x(2, 2);
    x << 1, 0, 1, 1;
    const Eigen::MatrixXd w = Eigen::MatrixXd::Constant(2, 1, 0.4);
    CHECK(optq(x, w, {Alphabet{1.0, 3}}, {0.0}) == Eigen::Vector2d(0.0, 1.0));
  }

  TEST_CASE("OPTQ blocks give the unblocked result and beat MSQ in-sample") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 48, 150, 5, 0, 0, 29);
    const auto alphabets = layer_alphabets(p.w, 7);
    const Eigen::MatrixXd one = optq(p.x_train, p.w, alphabets, {0.01, 1});
    const Eigen::MatrixXd blocked = optq(p.x_train, p.w, alphabets, {0.01, 32});
    // Equal up to round-off: an entry may flip only when it sits on a rounding boundary.
    CHECK((one.array() != blocked.array()).count() <= one.size() / 100);
    for (Eigen::Index i = 0; i < one.size(); ++i) CHECK(alphabets[0].contains(one(i), 0.0));
    CHECK(relative_error(p.x_train, p.w, one) <
          0.7 * relative_error(p.x_train, p.w, msq(p.w, alphabets)));
  }

  TEST_CASE("GPFQ output lies in the alphabet and beats MSQ in-sample") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 32, 256, 4, 0, 0, 31);
    const auto alphabets = layer_alphabets(p.w, 3, ScaleMode::per_neuron_max);
    const Eigen::MatrixXd q = gpfq(p.x_train, p.w, alphabets);
    for (Eigen::Index j = 0; j < q.cols(); ++j) {
      for (Eigen::Index i = 0; i < q.rows(); ++i) CHECK(alphabets[j].contains(q(i, j), 0.0));
    }
    CHECK(relative_error(p.x_train, p.w, q) <
          0.6 * relative_error(p.x_train, p.w, msq(p.w, alphabets)));
  }

  TEST_CASE("GPFQ and OPTQ reject mismatched shapes and a singular undamped Hessian") {
    const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(2, 3);
    const Eigen::MatrixXd w = Eigen::MatrixXd::Zero(3, 1);
    const std::vector<Alphabet> a = {Alphabet{1.0, 3}};
    CHECK_THROWS_WITH_AS(gpfq(x, Eigen::MatrixXd::Ones(2, 2), w, a),
                         "gpfq: X [2,3] and quantised-network X [2,2]: shapes differ", Error);
    CHECK_THROWS_WITH_AS(optq(x, Eigen::MatrixXd::Zero(4, 1), a),
                         "optq: X [2,3], W [4,1]: X has one column per row of W", Error);
    CHECK_THROWS_WITH_AS(optq(x, w, a, {0.0}),
                         "optq: X [2,3]: X^T X + damping is not positive definite (damping > 0?)",
                         Error);
  }
}
