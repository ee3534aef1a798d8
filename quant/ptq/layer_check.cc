#include "quant/ptq/layer_check.h"

#include <cmath>

#include "autograd/error.h"

namespace trit::quant {

std::string shape_string(const Eigen::MatrixXd& m) {
  return "[" + std::to_string(m.rows()) + "," + std::to_string(m.cols()) + "]";
}

void check_layer(const std::string& where, const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                 const std::vector<Alphabet>& alphabets) {
  const std::string shapes = "X " + shape_string(x) + ", W " + shape_string(w);
  check(x.cols() == w.rows(), where, shapes + ": X has one column per row of W");
  check(static_cast<Eigen::Index>(alphabets.size()) == w.cols(), where,
        shapes + ": " + std::to_string(alphabets.size()) + " alphabets for " +
            std::to_string(w.cols()) + " neurons");
}

void check_within_scale(const std::string& where, const Eigen::MatrixXd& w,
                        const std::vector<Alphabet>& alphabets) {
  for (Eigen::Index j = 0; j < w.cols(); ++j) {
    const double c = alphabets[j].scale;
    for (Eigen::Index i = 0; i < w.rows(); ++i) {
      if (std::abs(w(i, j)) > c * (1.0 + 1e-12)) {
        throw Error(where + ": |W(" + std::to_string(i) + "," + std::to_string(j) +
                    ")| = " + std::to_string(std::abs(w(i, j))) + " exceeds the alphabet scale " +
                    std::to_string(c));
      }
    }
  }
}

}  // namespace trit::quant
