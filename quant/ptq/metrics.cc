#include "quant/ptq/metrics.h"

#include <algorithm>
#include <cmath>

#include "quant/ptq/row_space.h"

namespace trit::quant {

double relative_error(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                      const Eigen::MatrixXd& q) {
  const double error = (x * (w - q)).norm();
  const double reference = (x * w).norm();
  return reference > 0.0 ? error / reference : (error > 0.0 ? INFINITY : 0.0);
}

BoundCheck check_deterministic_bound(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                     const Eigen::MatrixXd& z, const Eigen::MatrixXd& q,
                                     const std::vector<Alphabet>& alphabets) {
  BoundCheck result;
  for (Eigen::Index j = 0; j < w.cols(); ++j) {
    std::vector<Eigen::Index> support;
    for (Eigen::Index i = 0; i < w.rows(); ++i) {
      if (q(i, j) != z(i, j)) support.push_back(i);
    }
    Eigen::MatrixXd xs(x.rows(), static_cast<Eigen::Index>(support.size()));
    for (size_t k = 0; k < support.size(); ++k) xs.col(k) = x.col(support[k]);
    const double norm_xs = xs.size() ? spectral_norm(xs) : 0.0;
    const double lhs = (x * (w.col(j) - q.col(j))).norm();
    const double rhs =
        alphabets[j].step() / 2.0 * std::sqrt(static_cast<double>(support.size())) * norm_xs;
    result.holds = result.holds && lhs <= rhs + 1e-9 * (x * w.col(j)).norm();
    if (rhs > 0.0) result.worst_ratio = std::max(result.worst_ratio, lhs / rhs);
    result.max_support = std::max(result.max_support, static_cast<int>(support.size()));
  }
  return result;
}

}  // namespace trit::quant
