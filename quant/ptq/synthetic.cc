#include "quant/ptq/synthetic.h"

namespace trit::quant {

Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = rng.normal();
  }
  return m;
}

Eigen::MatrixXd uniform_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi,
                               Rng& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      const double u = static_cast<double>(rng.next_u64() >> 11) * 0x1.0p-53;
      m(i, j) = lo + (hi - lo) * u;
    }
  }
  return m;
}

LayerProblem make_layer_problem(DataModel model, int m, int n0, int n1, int rank, int test_rows,
                                uint64_t seed) {
  Rng rng(seed);
  LayerProblem problem;
  problem.w = uniform_matrix(n0, n1, -1.0, 1.0, rng);
  if (model == DataModel::gaussian) {
    problem.x_train = gaussian_matrix(m, n0, rng);
    problem.x_test = gaussian_matrix(test_rows, n0, rng);
  } else {
    const Eigen::MatrixXd basis = gaussian_matrix(rank, n0, rng);
    problem.x_train = gaussian_matrix(m, rank, rng) * basis;
    problem.x_test = gaussian_matrix(test_rows, rank, rng) * basis;
  }
  return problem;
}

}  // namespace trit::quant
