#include "quant/ptq/alphabet.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/error.h"

namespace trit::quant {

bool Alphabet::contains(double x, double tol) const { return std::abs(x - nearest(x)) <= tol; }

std::vector<Alphabet> layer_alphabets(const Eigen::MatrixXd& weights, int levels, ScaleMode mode) {
  check(levels >= 2, "layer_alphabets", "levels = " + std::to_string(levels) + " < 2");
  const auto positive_or_one = [](double c) { return c > 0.0 ? c : 1.0; };
  std::vector<Alphabet> alphabets(weights.cols());
  const double layer_max = weights.size() ? weights.cwiseAbs().maxCoeff() : 0.0;
  for (Eigen::Index j = 0; j < weights.cols(); ++j) {
    const double c = mode == ScaleMode::per_layer_max
                         ? layer_max
                         : (weights.rows() ? weights.col(j).cwiseAbs().maxCoeff() : 0.0);
    alphabets[j] = Alphabet{positive_or_one(c), levels};
  }
  return alphabets;
}

Eigen::MatrixXd msq(const Eigen::MatrixXd& weights, const std::vector<Alphabet>& alphabets) {
  check(static_cast<Eigen::Index>(alphabets.size()) == weights.cols(), "msq",
        std::to_string(alphabets.size()) + " alphabets for " + std::to_string(weights.cols()) +
            " neurons");
  Eigen::MatrixXd q(weights.rows(), weights.cols());
  for (Eigen::Index j = 0; j < weights.cols(); ++j) {
    for (Eigen::Index i = 0; i < weights.rows(); ++i) q(i, j) = alphabets[j].nearest(weights(i, j));
  }
  return q;
}

}  // namespace trit::quant
