// Error measures of a quantised layer (ptq.md §1, §4.1).
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "quant/ptq/alphabet.h"

namespace trit::quant {

// ||X W - X Q||_F / ||X W||_F (0 when X W = 0 and X Q = X W).
double relative_error(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w, const Eigen::MatrixXd& q);

// Lemma 2 (§4.1) per neuron, with z the pre-processed weights (X z = X w) and q = msq(z):
//   ||X(w - q)||_2 <= (delta/2) sqrt(|S|) ||X_S||_{2->2},  S = {i : q_i != z_i}.
// `holds` allows round-off (1e-9 ||X w||); worst_ratio = max over neurons of LHS / RHS
// (0 for a neuron with S empty), max_support = max |S|.
struct BoundCheck {
  bool holds = true;
  double worst_ratio = 0.0;
  int max_support = 0;
};

BoundCheck check_deterministic_bound(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                     const Eigen::MatrixXd& z, const Eigen::MatrixXd& q,
                                     const std::vector<Alphabet>& alphabets);

}  // namespace trit::quant
