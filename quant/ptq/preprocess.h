// Maly-Saab pre-processing of a whole layer, then MSQ (ptq.md §3, §5.1).
//
// X (m x N0) calibration inputs, rows are samples; W (N0 x N1), columns are neurons; one
// alphabet per neuron (layer_alphabets). Every neuron is stepped to a vertex (vertex_walk.h)
// with the shared row space of X, in parallel over neurons (kernels::parallel_for; results do
// not depend on the thread count). Target set per neuron (§3.3):
//   grid (default): the neuron's alphabet; frozen entries are the floor or ceiling of w_i.
//   box  (paper reference): {-c, c}; z does not depend on the number of levels.
// Guarantees: X Z = X W up to round-off, |Z_ij| <= c_j, at most rank X entries per neuron off
// the target set, so ||X W - X msq(Z)|| is bounded as in §4.1. If rank X = N0 the result is MSQ.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "quant/ptq/alphabet.h"
#include "quant/ptq/vertex_walk.h"

namespace trit::quant {

enum class TargetSet { grid, box };

struct PreprocessOptions {
  PreprocessOptions(TargetSet targets = TargetSet::grid, VertexWalkOptions walk = {},
                    double rank_tol = 1e-11)
      : targets(targets), walk(walk), rank_tol(rank_tol) {}

  TargetSet targets;
  VertexWalkOptions walk;  // null-space solver and its check
  double rank_tol;         // singular values below rank_tol * sigma_max count as zero
};

struct PreprocessResult {
  Eigen::MatrixXd z;              // N0 x N1, same outputs on X as W
  std::vector<int> free_entries;  // per neuron: #{i : z_i not in its target set}
  std::vector<int> steps;         // per neuron: null-space steps taken
  std::vector<int> fallbacks;     // per neuron: steps that needed an SVD null vector
  int data_rank = 0;              // rank X
};

// The target set of a neuron for an alphabet: itself (grid) or {-c, c} (box).
Alphabet target_set(const Alphabet& alphabet, TargetSet targets);

// Throws trit::Error on shape mismatch or if some |W_ij| > c_j.
PreprocessResult preprocess_layer(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                  const std::vector<Alphabet>& alphabets,
                                  const PreprocessOptions& options = {});

// The quantiser: msq(preprocess_layer(...).z). Entries of the result lie in the alphabets.
Eigen::MatrixXd preprocess_and_quantise(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                        const std::vector<Alphabet>& alphabets,
                                        const PreprocessOptions& options = {});

}  // namespace trit::quant
