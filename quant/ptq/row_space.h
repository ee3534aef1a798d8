// The row space of calibration data, the one thing the pre-processing needs from X (ptq.md §3).
//
// RowSpace{basis, zero_column, rank}: basis (r x N0) has orthonormal rows spanning the row space
// of X (m x N0, rows are samples), so ker(basis) = ker(X) and r = rank X (singular values above
// rel_tol * sigma_max). This is the SVD fallback for rank-deficient data (§3.2): the kernel
// walk then works with an r x r basis instead of a singular m x m one, and stops with exactly
// r free entries. Columns that are exactly zero in X (dead inputs, black border pixels) are
// flagged and exactly zero in basis. Computed once per layer and shared by all neurons.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace trit::quant {

struct RowSpace {
  Eigen::MatrixXd basis;          // r x N0, orthonormal rows
  std::vector<char> zero_column;  // N0 flags: x_i == 0
  int rank = 0;
};

RowSpace row_space(const Eigen::MatrixXd& data, double rel_tol = 1e-11);

// The largest singular value ||a||_2 of a non-empty matrix (Eigen's BDCSVD, values only).
// Here beside row_space so that one file instantiates Eigen's SVD: it is the slowest template
// of the project to compile.
double spectral_norm(const Eigen::MatrixXd& a);

}  // namespace trit::quant
