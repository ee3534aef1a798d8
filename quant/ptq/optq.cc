#include "quant/ptq/optq.h"

#include <algorithm>

#include "autograd/error.h"
#include "quant/ptq/layer_check.h"

namespace trit::quant {
namespace {

// Upper Cholesky factor of (X^T X + dead-input fix + damping)^{-1}.
Eigen::MatrixXd inverse_hessian_factor(const Eigen::MatrixXd& x, double damping) {
  const Eigen::Index n0 = x.cols();
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(n0, n0);
  h.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  h = h.selfadjointView<Eigen::Lower>();
  for (Eigen::Index i = 0; i < n0; ++i) {
    if (h(i, i) == 0.0) h(i, i) = 1.0;
  }
  h.diagonal().array() += damping * h.diagonal().mean();
  const Eigen::LLT<Eigen::MatrixXd> factor(h);
  check(factor.info() == Eigen::Success, "optq",
        "X " + shape_string(x) + ": X^T X + damping is not positive definite (damping > 0?)");
  const Eigen::MatrixXd h_inverse = factor.solve(Eigen::MatrixXd::Identity(n0, n0));
  const Eigen::LLT<Eigen::MatrixXd> inverse_factor(h_inverse);
  check(inverse_factor.info() == Eigen::Success, "optq",
        "X " + shape_string(x) + ": inverse Hessian is not positive definite (ill-conditioned)");
  return inverse_factor.matrixU();
}

}  // namespace

Eigen::MatrixXd optq(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                     const std::vector<Alphabet>& alphabets, const OptqOptions& options) {
  check_layer("optq", x, w, alphabets);
  check(options.block >= 1, "optq", "block = " + std::to_string(options.block) + " < 1");
  const Eigen::Index n0 = w.rows(), n1 = w.cols();
  if (n0 == 0) return w;
  const Eigen::MatrixXd u = inverse_hessian_factor(x, options.damping);
  Eigen::MatrixXd work = w;
  Eigen::MatrixXd q(n0, n1);
  for (Eigen::Index i1 = 0; i1 < n0; i1 += options.block) {
    const Eigen::Index i2 = std::min<Eigen::Index>(i1 + options.block, n0), nb = i2 - i1;
    Eigen::MatrixXd error(nb, n1);
    for (Eigen::Index j = i1; j < i2; ++j) {
      for (Eigen::Index k = 0; k < n1; ++k) q(j, k) = alphabets[k].nearest(work(j, k));
      error.row(j - i1) = (work.row(j) - q.row(j)) / u(j, j);
      work.middleRows(j + 1, i2 - j - 1).noalias() -=
          u.row(j).segment(j + 1, i2 - j - 1).transpose() * error.row(j - i1);
    }
    work.bottomRows(n0 - i2).noalias() -= u.block(i1, i2, nb, n0 - i2).transpose() * error;
  }
  return q;
}

}  // namespace trit::quant
