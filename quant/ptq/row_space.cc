#include "quant/ptq/row_space.h"

namespace trit::quant {

RowSpace row_space(const Eigen::MatrixXd& data, double rel_tol) {
  RowSpace space;
  const Eigen::Index n0 = data.cols();
  space.zero_column.assign(n0, 0);
  for (Eigen::Index i = 0; i < n0; ++i) space.zero_column[i] = data.col(i).squaredNorm() == 0.0;
  if (data.size() == 0) {
    space.basis = Eigen::MatrixXd::Zero(0, n0);
    return space;
  }
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(data, Eigen::ComputeThinV);
  const Eigen::VectorXd& sigma = svd.singularValues();
  while (space.rank < sigma.size() && sigma(space.rank) > rel_tol * sigma(0)) ++space.rank;
  space.basis = svd.matrixV().leftCols(space.rank).transpose();
  for (Eigen::Index i = 0; i < n0; ++i) {
    if (space.zero_column[i]) space.basis.col(i).setZero();
  }
  return space;
}

double spectral_norm(const Eigen::MatrixXd& a) {
  return Eigen::BDCSVD<Eigen::MatrixXd>(a).singularValues()(0);
}

}  // namespace trit::quant
