// Synthetic single-layer problems for the PTQ study (ptq.md §8): seeded, platform-independent.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

#include "autograd/random.h"

namespace trit::quant {

// rows x cols, i.i.d. N(0, 1).
Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, Rng& rng);
// rows x cols, i.i.d. U[lo, hi] (53 random bits per entry).
Eigen::MatrixXd uniform_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi,
                               Rng& rng);

enum class DataModel {
  gaussian,  // X i.i.d. N(0, 1)                                     (E1, E4)
  low_rank,  // X = G B, B (r x N0) fixed, G i.i.d. N(0, 1) per row (E2)
};

// A layer with calibration rows x_train (m x N0), fresh rows x_test (test_rows x N0) from the
// same distribution and weights w (N0 x N1) i.i.d. U[-1, 1]. The same seed gives the same problem.
struct LayerProblem {
  Eigen::MatrixXd x_train, x_test, w;
};

LayerProblem make_layer_problem(DataModel model, int m, int n0, int n1, int rank, int test_rows,
                                uint64_t seed);

}  // namespace trit::quant
