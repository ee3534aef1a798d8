// The vertex walk of one neuron (ptq.md §3.2-§3.4): steps along null-space (kernel) directions
// of the data to a vertex; the core of the pre-processing.
//
// Given the row space D of the calibration data (RowSpace, r x N0), a neuron w (N0 values with
// |w_i| <= c) and a sorted uniform target set T on [-c, c] (an Alphabet: {-c, c} for the box
// variant, the quantisation alphabet for the grid variant), computes z with
//   X z = X w (up to round-off),  |z_i| <= c,  #{i : z_i not in T} <= rank X,
// by moving along kernel directions of the free columns until one entry reaches the next
// target ahead, freezing it, and bringing in the next free column. Entries already on a target
// (within 1e-12 c) and zero data columns (set to the nearest target) are frozen from the start.
// Columns are visited in natural order; the result is deterministic.
//
// Linear algebra: an invertible basis B of r' free columns (the first r' free columns when
// they are well conditioned, else chosen greedily by Gram-Schmidt in queue order; r' = rank of
// the free columns, normally r) and M = B^{-1}; an entering column j gives the kernel vector
// (-M x_j ; 1). When a basis column leaves, M gets a Sherman-Morrison update fused with the
// next M x_j (one O(r^2) sweep per step, Highway kernels in quant/ptq/kernels/rank_one.h), and is
// re-inverted every 4 r' swaps. Each step checks ||D_F v|| <= null_check max||x|| ||v|| (from 4
// random projections); on failure M is re-inverted, and if that fails too the step uses an SVD
// null vector and the basis is chosen again. NullSpaceSolver::svd takes every null vector from
// an SVD of D_F (O(r^3) per step): the reference the Sherman-Morrison path must reproduce
// (spec §8.1 item 7). Cost O(N0 r^2) per neuron.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "quant/ptq/alphabet.h"
#include "quant/ptq/row_space.h"

namespace trit::quant {

enum class NullSpaceSolver { sherman_morrison, svd };

struct VertexWalkOptions {
  NullSpaceSolver solver = NullSpaceSolver::sherman_morrison;
  // Sherman-Morrison null vectors are accepted if ||D_F v|| <= null_check max||x_i|| ||v||
  // (estimated from 4 random projections, O(r) per step). A negative value sends every step
  // to the SVD fallback (for tests).
  double null_check = 1e-8;
};

struct VertexWalkStats {
  int steps = 0;         // entering columns processed (each freezes one entry)
  int free_entries = 0;  // #{i : z_i not within 1e-12 c of T}
  int fallbacks = 0;     // steps that needed an SVD null vector (Sherman-Morrison path)
};

// The first basis most walks of a layer start from: the first rank X non-zero data columns
// and their inverse M (Sherman-Morrison solver only). Every neuron without weights already on a
// target starts there, so one LU per layer replaces one O(r^3) LU per neuron. Empty (no
// columns, no inverse) when those columns are ill-conditioned, X has full column rank or the
// solver is the SVD one.
struct SharedStart {
  std::vector<int> columns;
  Eigen::MatrixXd inverse;
};
SharedStart shared_start(const RowSpace& data, const VertexWalkOptions& options);

// Writes z (N0 values) for the neuron w (N0 values). Throws trit::Error if some |w_i| > c.
// `start` (from shared_start on the same data and options, or null) only saves work: the walk
// uses its inverse when its own first basis has the same columns, and z is the same either way.
VertexWalkStats step_to_vertex(const RowSpace& data, const double* w, const Alphabet& targets,
                               const VertexWalkOptions& options, double* z,
                               const SharedStart* start = nullptr);

}  // namespace trit::quant
