// OPTQ / GPTQ (Frantar et al., ICLR 2023), ptq.md §7.3, on our alphabets.
//
// Minimises ||X W - X Q||_F column by column with second-order error feedback:
// H = X^T X, dead inputs (H_ii = 0) get H_ii = 1, then H += damping * mean(diag H) * I;
// U = upper Cholesky factor of H^{-1}; for input index j = 0..N0-1 (all neurons at once):
// q_j = Q_A(w_j), e = (w_j - q_j) / U_jj, w_{j+1:} -= U_{j,j+1:}^T e. Columns in natural
// order, lazy batch updates in blocks of `block` rows (same result as unblocked up to
// round-off). Cost O(m N0^2 + N0^3 + N0^2 N1). Throws trit::Error if H is not positive
// definite (damping = 0 with rank X < N0).
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "quant/ptq/alphabet.h"

namespace trit::quant {

struct OptqOptions {
  double damping = 0.01;  // lambda
  int block = 128;
};

Eigen::MatrixXd optq(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                     const std::vector<Alphabet>& alphabets, const OptqOptions& options = {});

}  // namespace trit::quant
