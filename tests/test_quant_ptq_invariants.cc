// Kernel pre-processing: the exact invariants of ptq.md §8.1 (items 1-7), determinism, errors.
#include <doctest/doctest.h>

#include <Eigen/Dense>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/metrics.h"
#include "quant/ptq/preprocess.h"
#include "quant/ptq/row_space.h"
#include "quant/ptq/synthetic.h"

using namespace trit;
using namespace trit::quant;

namespace {

int count_free(const Eigen::VectorXd& z, const Alphabet& targets) {
  int free = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i)
    free += !targets.contains(z(i), 1e-12 * targets.scale);
  return free;
}

double relative_residual(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                         const Eigen::MatrixXd& z) {
  return (x * (z - w)).norm() / (x * w).norm();
}

struct Case {
  int m, n0, levels;
  TargetSet targets;
};

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("pre-processing keeps X z = X w, stays in [-c, c] and leaves rank X entries free") {
    const Case cases[] = {{8, 40, 7, TargetSet::grid},   {8, 40, 7, TargetSet::box},
                          {16, 100, 3, TargetSet::grid}, {16, 100, 2, TargetSet::box},
                          {30, 31, 15, TargetSet::grid}, {1, 5, 3, TargetSet::box}};
    for (const Case& c : cases) {
      CAPTURE(c.m);
      CAPTURE(c.n0);
      CAPTURE(c.levels);
      CAPTURE(static_cast<int>(c.targets));
      const LayerProblem p = make_layer_problem(DataModel::gaussian, c.m, c.n0, 3, 0, 0, 7);
      const auto alphabets = layer_alphabets(p.w, c.levels);
      const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {c.targets});
      CHECK(r.data_rank == c.m);
      CHECK(relative_residual(p.x_train, p.w, r.z) < 1e-12);   // item 1
      CHECK(r.z.cwiseAbs().maxCoeff() <= alphabets[0].scale);  // item 2
      for (Eigen::Index j = 0; j < p.w.cols(); ++j) {          // item 3
        const Alphabet targets = target_set(alphabets[j], c.targets);
        CHECK(count_free(r.z.col(j), targets) == c.m);
        CHECK(r.free_entries[j] == c.m);
        CHECK(r.fallbacks[j] == 0);
      }
    }
  }

  TEST_CASE("box variant pushes all but m entries to +-c") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 12, 90, 2, 0, 0, 3);
    const auto alphabets = layer_alphabets(p.w, 7);
    const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {TargetSet::box});
    const double c = alphabets[0].scale;
    for (Eigen::Index j = 0; j < 2; ++j) {
      CHECK((r.z.col(j).array().abs() < c).count() == 12);
      CHECK((r.z.col(j).array().abs() == c).count() == 90 - 12);
    }
  }

  TEST_CASE("rank-deficient data leaves exactly rank X free entries") {
    const LayerProblem p = make_layer_problem(DataModel::low_rank, 40, 300, 3, 10, 0, 11);
    for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
      const auto alphabets = layer_alphabets(p.w, 7);
      const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {t});
      CHECK(r.data_rank == 10);
      CHECK(relative_residual(p.x_train, p.w, r.z) < 1e-12);
      for (Eigen::Index j = 0; j < 3; ++j) {
        CHECK(r.free_entries[j] == 10);
        CHECK(count_free(r.z.col(j), target_set(alphabets[j], t)) == 10);
      }
    }
  }

  TEST_CASE("duplicated leading inputs are skipped for the basis (Gram-Schmidt path)") {
    LayerProblem p = make_layer_problem(DataModel::gaussian, 12, 80, 3, 0, 0, 37);
    for (int i = 1; i < 6; ++i) p.x_train.col(i) = p.x_train.col(0);  // rank still 12
    for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
      const auto alphabets = layer_alphabets(p.w, 7);
      const PreprocessResult fast = preprocess_layer(p.x_train, p.w, alphabets, {t});
      const PreprocessResult svd =
          preprocess_layer(p.x_train, p.w, alphabets, {t, {NullSpaceSolver::svd}});
      CHECK(fast.data_rank == 12);
      CHECK(relative_residual(p.x_train, p.w, fast.z) < 1e-12);
      CHECK(fast.free_entries == std::vector<int>(3, 12));
      CHECK((fast.z - svd.z).cwiseAbs().maxCoeff() < 1e-8);
    }
  }

  TEST_CASE("the deterministic bound of Lemma 2 holds for every neuron") {
    for (const int levels : {2, 3, 7}) {
      for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
        CAPTURE(levels);
        const LayerProblem p = make_layer_problem(DataModel::gaussian, 16, 128, 6, 0, 0, 5);
        const auto alphabets = layer_alphabets(p.w, levels, ScaleMode::per_neuron_max);
        const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {t});
        const Eigen::MatrixXd q = msq(r.z, alphabets);
        const BoundCheck bound = check_deterministic_bound(p.x_train, p.w, r.z, q, alphabets);
        CHECK(bound.holds);
        CHECK(bound.max_support <= 16);
        CHECK(bound.worst_ratio > 0.0);
        CHECK(bound.worst_ratio <= 1.0);
      }
    }
  }

  TEST_CASE("zero data columns are set to the nearest target and never move") {
    LayerProblem p = make_layer_problem(DataModel::gaussian, 10, 60, 3, 0, 0, 9);
    for (const int dead : {0, 17, 59}) p.x_train.col(dead).setZero();
    for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
      const auto alphabets = layer_alphabets(p.w, 7);
      const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {t});
      CHECK(relative_residual(p.x_train, p.w, r.z) < 1e-12);
      for (const int dead : {0, 17, 59}) {
        for (Eigen::Index j = 0; j < 3; ++j) {
          CHECK(r.z(dead, j) == target_set(alphabets[j], t).nearest(p.w(dead, j)));
        }
      }
    }
  }

  TEST_CASE("full-rank data (rank X = N0) gives plain MSQ") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 50, 30, 4, 0, 0, 13);
    const auto alphabets = layer_alphabets(p.w, 3);
    for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
      const PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {t});
      CHECK(r.data_rank == 30);
      CHECK(r.steps == std::vector<int>(4, 0));
      CHECK(msq(r.z, alphabets) == msq(p.w, alphabets));
    }
  }

  TEST_CASE("Sherman-Morrison and SVD null vectors give the same z") {
    for (const DataModel model : {DataModel::gaussian, DataModel::low_rank}) {
      for (const TargetSet t : {TargetSet::grid, TargetSet::box}) {
        const LayerProblem p = make_layer_problem(model, 20, 120, 3, 8, 0, 17);
        const auto alphabets = layer_alphabets(p.w, 7);
        const PreprocessResult fast = preprocess_layer(p.x_train, p.w, alphabets, {t});
        const PreprocessResult svd =
            preprocess_layer(p.x_train, p.w, alphabets, {t, {NullSpaceSolver::svd}});
        CHECK((fast.z - svd.z).cwiseAbs().maxCoeff() < 1e-8);
        CHECK(fast.free_entries == svd.free_entries);
        // Every step through the fallback (SVD null vector, basis chosen again): same walk.
        const PreprocessResult fallback = preprocess_layer(
            p.x_train, p.w, alphabets, {t, {NullSpaceSolver::sherman_morrison, -1.0}});
        CHECK(fallback.fallbacks == fallback.steps);
        CHECK((fallback.z - svd.z).cwiseAbs().maxCoeff() < 1e-8);
      }
    }
  }

  TEST_CASE("walks from the layer's shared start give the same z as walks factoring their own") {
    LayerProblem p = make_layer_problem(DataModel::gaussian, 12, 80, 4, 0, 0, 29);
    p.x_train.col(2).setZero();  // a zero column: the shared basis skips it
    const auto alphabets = layer_alphabets(p.w, 7);
    p.w(5, 1) = alphabets[1].level(2);  // neuron 1 starts with entry 5 frozen: its own basis
    const RowSpace space = row_space(p.x_train);
    const VertexWalkOptions options;
    const SharedStart start = shared_start(space, options);
    std::vector<int> expected = {0, 1};
    for (int i = 3; i < 13; ++i) expected.push_back(i);
    CHECK(start.columns == expected);
    CHECK(start.inverse.rows() == 12);
    Eigen::MatrixXd own(80, 4), shared(80, 4);
    for (Eigen::Index j = 0; j < p.w.cols(); ++j) {
      step_to_vertex(space, p.w.col(j).data(), alphabets[j], options, own.col(j).data());
      step_to_vertex(space, p.w.col(j).data(), alphabets[j], options, shared.col(j).data(), &start);
    }
    CHECK(own == shared);
    CHECK(relative_residual(p.x_train, p.w, shared) < 1e-12);
    CHECK(preprocess_layer(p.x_train, p.w, alphabets).z == own);
    // No shared start where there is nothing to share: full-rank data, the SVD solver.
    CHECK(shared_start(row_space(p.x_train.middleCols(3, 10)), options).columns.empty());
    CHECK(shared_start(space, {NullSpaceSolver::svd}).inverse.size() == 0);
  }

  TEST_CASE("pre-processing does not depend on the thread count") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 24, 150, 7, 0, 0, 19);
    const auto alphabets = layer_alphabets(p.w, 7);
    const int threads = kernels::num_threads();
    kernels::set_num_threads(1);
    const Eigen::MatrixXd one = preprocess_layer(p.x_train, p.w, alphabets).z;
    kernels::set_num_threads(3);
    const Eigen::MatrixXd three = preprocess_layer(p.x_train, p.w, alphabets).z;
    kernels::set_num_threads(threads);
    CHECK(one == three);
  }

  TEST_CASE("weights already on the alphabet are left alone") {
    const LayerProblem p = make_layer_problem(DataModel::gaussian, 8, 50, 2, 0, 0, 23);
    const auto alphabets = layer_alphabets(p.w, 5);
    const Eigen::MatrixXd on_grid = msq(p.w, alphabets);
    const PreprocessResult r = preprocess_layer(p.x_train, on_grid, alphabets);
    CHECK(r.z == on_grid);
    CHECK(r.steps == std::vector<int>{0, 0});
  }

  TEST_CASE("pre-processing rejects bad shapes and weights beyond the scale") {
    const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(4, 10);
    const Eigen::MatrixXd w = Eigen::MatrixXd::Constant(9, 2, 0.5);
    const std::vector<Alphabet> alphabets(2, Alphabet{1.0, 3});
    CHECK_THROWS_WITH_AS(preprocess_layer(x, w, alphabets),
                         "preprocess_layer: X [4,10], W [9,2]: X has one column per row of W",
                         Error);
    CHECK_THROWS_WITH_AS(preprocess_layer(x.leftCols(9), w, {Alphabet{1.0, 3}}),
                         "preprocess_layer: X [4,9], W [9,2]: 1 alphabets for 2 neurons", Error);
    const std::vector<Alphabet> small(2, Alphabet{0.25, 3});
    CHECK_THROWS_WITH_AS(preprocess_layer(x.leftCols(9), w, small),
                         "preprocess_layer: |W(0,0)| = 0.500000 exceeds the alphabet scale "
                         "0.250000",
                         Error);
  }
}
