// GPFQ, greedy path-following quantisation (Lybrand & Saab 2021; Zhang, Zhou & Saab 2023),
// ptq.md §7.2, on our alphabets.
//
// X (m x N0) analog inputs, Xq (m x N0) inputs of the already quantised network (Xq = X for
// the first layer), W (N0 x N1), one alphabet per neuron. For each neuron, u_0 = 0 and for
// t = 1..N0 in natural order:
//   q_t = Q_A(<Xq_t, u_{t-1} + w_t X_t> / ||Xq_t||^2)   (Q_A(0) if Xq_t = 0)
//   u_t = u_{t-1} + w_t X_t - q_t Xq_t                   (u_t: running output error)
// Cost O(m N0 N1), parallel over neurons, deterministic. Weights outside [-c, c] are allowed.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "quant/ptq/alphabet.h"

namespace trit::quant {

Eigen::MatrixXd gpfq(const Eigen::MatrixXd& x, const Eigen::MatrixXd& x_quantised,
                     const Eigen::MatrixXd& w, const std::vector<Alphabet>& alphabets);

inline Eigen::MatrixXd gpfq(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                            const std::vector<Alphabet>& alphabets) {
  return gpfq(x, x, w, alphabets);
}

}  // namespace trit::quant
