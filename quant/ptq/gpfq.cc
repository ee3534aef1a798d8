#include "quant/ptq/gpfq.h"

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "quant/ptq/layer_check.h"

namespace trit::quant {

Eigen::MatrixXd gpfq(const Eigen::MatrixXd& x, const Eigen::MatrixXd& x_quantised,
                     const Eigen::MatrixXd& w, const std::vector<Alphabet>& alphabets) {
  check_layer("gpfq", x, w, alphabets);
  check(x_quantised.rows() == x.rows() && x_quantised.cols() == x.cols(), "gpfq",
        "X " + shape_string(x) + " and quantised-network X " + shape_string(x_quantised) +
            ": shapes differ");
  const Eigen::Index n0 = w.rows();
  const Eigen::VectorXd norms = x_quantised.colwise().squaredNorm().transpose();
  const Eigen::VectorXd cross = x_quantised.cwiseProduct(x).colwise().sum().transpose();
  Eigen::MatrixXd q(n0, w.cols());
  kernels::parallel_for(w.cols(), [&](int64_t j) {
    const Alphabet& alphabet = alphabets[j];
    Eigen::VectorXd u = Eigen::VectorXd::Zero(x.rows());
    for (Eigen::Index t = 0; t < n0; ++t) {
      const double wt = w(t, j);
      const double target =
          norms(t) > 0.0 ? (x_quantised.col(t).dot(u) + wt * cross(t)) / norms(t) : 0.0;
      const double qt = alphabet.nearest(target);
      u += wt * x.col(t) - qt * x_quantised.col(t);
      q(t, j) = qt;
    }
  });
  return q;
}

}  // namespace trit::quant
