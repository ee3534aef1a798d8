#include "quant/ptq/vertex_walk.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "quant/ptq/kernels/rank_one.h"
#include "quant/ptq/synthetic.h"

namespace trit::quant {
namespace {

constexpr double kTargetTol = 1e-12;        // "on a target": within 1e-12 c (§3.5)
constexpr double kZeroDirection = 1e-14;    // |v_k| below this (unit v) does not move (§3.5)
constexpr double kIndependent = 1e-9;       // Gram-Schmidt residual accepted as a new direction
constexpr double kWellConditioned = 1e-10;  // rcond accepting the leading free columns as basis
constexpr int kRefreshSwaps = 4;            // M is re-inverted every 4 r swaps (and on drift)
constexpr int kSketches = 4;                // random projections estimating ||D_F v||
constexpr uint64_t kSketchSeed = 0x5eed;

Eigen::MatrixXd columns_of(const Eigen::MatrixXd& data, const std::vector<int>& columns) {
  Eigen::MatrixXd b(data.rows(), static_cast<Eigen::Index>(columns.size()));
  for (size_t p = 0; p < columns.size(); ++p) b.col(p) = data.col(columns[p]);
  return b;
}

// True if the square `columns` are well conditioned; then *inverse = their inverse (only for the
// Sherman-Morrison solver, the SVD path needs none).
bool invert_if_well_conditioned(const Eigen::MatrixXd& columns, NullSpaceSolver solver,
                                Eigen::MatrixXd* inverse) {
  const Eigen::PartialPivLU<Eigen::MatrixXd> lu(columns);
  if (lu.rcond() <= kWellConditioned) return false;
  if (solver == NullSpaceSolver::sherman_morrison) *inverse = lu.inverse();
  return true;
}

using Sketch = Eigen::Matrix<double, kSketches, 1>;  // fixed size: no allocation per step

// The state of one walk: z, the basis columns and their inverse, the entering columns to come.
class VertexWalk {
 public:
  VertexWalk(const RowSpace& data, const Alphabet& targets, const VertexWalkOptions& options,
             const SharedStart* start, double* z)
      : data_(&data.basis),
        start_(start),
        zero_column_(data.zero_column),
        targets_(targets),
        solver_(options.solver),
        null_check_(options.null_check),
        tol_(kTargetTol * targets.scale),
        z_(z) {}

  VertexWalkStats run(const double* w) {
    VertexWalkStats stats;
    choose_first_basis(freeze_initial(w));
    while (!pending_.empty()) {
      const int entering = pending_.front();
      pending_.pop_front();
      const bool fast =
          solver_ == NullSpaceSolver::sherman_morrison && sherman_morrison_vector(entering);
      if (!fast) svd_vector(entering);
      const int leaving = move_and_freeze(entering);
      ++stats.steps;
      if (solver_ == NullSpaceSolver::sherman_morrison && !fast) {
        ++stats.fallbacks;
        choose_basis_again(entering, leaving);
      } else if (leaving < static_cast<int>(basis_.size())) {
        swap_into_basis(leaving, entering);
      }
    }
    for (Eigen::Index i = 0; i < data_->cols(); ++i) {
      stats.free_entries += !targets_.contains(z_[i], tol_);
    }
    return stats;
  }

 private:
  // z <- w; entries on a target and zero data columns are frozen (snapped to their target).
  // Returns the free indices in natural order.
  std::vector<int> freeze_initial(const double* w) {
    std::vector<int> free;
    for (Eigen::Index i = 0; i < data_->cols(); ++i) {
      if (std::abs(w[i]) > targets_.scale * (1.0 + kTargetTol)) {
        throw Error("step_to_vertex: |w[" + std::to_string(i) +
                    "]| = " + std::to_string(std::abs(w[i])) +
                    " exceeds the alphabet scale c = " + std::to_string(targets_.scale));
      }
      const bool frozen = zero_column_[i] || targets_.contains(w[i], tol_);
      z_[i] = frozen ? targets_.nearest(w[i]) : w[i];
      if (!frozen) free.push_back(static_cast<int>(i));
    }
    return free;
  }

  // Greedy Gram-Schmidt over `candidates` in order: the first independent columns (up to the
  // data rank) form the basis, the others become the pending entering columns in order. If the
  // candidates span less than the data's row space, the data is projected onto their span.
  void select_basis(const std::vector<int>& candidates) {
    const Eigen::Index dim = data_->rows();
    Eigen::MatrixXd q(dim, dim);
    basis_.clear();
    pending_.clear();
    for (const int i : candidates) {
      const Eigen::Index b = static_cast<Eigen::Index>(basis_.size());
      if (b == dim) {
        pending_.push_back(i);
        continue;
      }
      Eigen::VectorXd r = data_->col(i);
      const double norm = r.norm();
      for (int pass = 0; pass < 2; ++pass) r -= q.leftCols(b) * (q.leftCols(b).transpose() * r);
      const double residual = r.norm();
      if (residual > kIndependent * norm) {
        q.col(b) = r / residual;
        basis_.push_back(i);
      } else {
        pending_.push_back(i);
      }
    }
    const Eigen::Index b = static_cast<Eigen::Index>(basis_.size());
    if (b < dim) {
      Eigen::MatrixXd projected = q.leftCols(b).transpose() * (*data_);
      reduced_.swap(projected);
      data_ = &reduced_;
    }
    prepare_checks();
  }

  // Generic data: the first r free columns are independent, and one LU gives M without the
  // Gram-Schmidt pass (or the layer's shared start already holds it: same columns, same M).
  // Otherwise (or if they are ill-conditioned) select_basis. Leaves basis and pending empty
  // when X has full column rank.
  void choose_first_basis(const std::vector<int>& free) {
    const size_t dim = static_cast<size_t>(data_->rows());
    if (data_->rows() == data_->cols()) return;  // rank X = N0: ker X = {0}, plain MSQ (§3.5)
    if (dim > 0 && free.size() >= dim) {
      basis_.assign(free.begin(), free.begin() + dim);
      const bool shared = solver_ == NullSpaceSolver::sherman_morrison && start_ != nullptr &&
                          start_->inverse.size() > 0 && start_->columns == basis_;
      if (shared) inverse_ = start_->inverse;
      if (shared || invert_if_well_conditioned(basis_columns(), solver_, &inverse_)) {
        pending_.assign(free.begin() + dim, free.end());
        prepare_checks();
        swaps_ = 0;
        y_column_ = -1;
        return;
      }
    }
    select_basis(free);
    invert_basis();
  }

  void prepare_checks() {
    column_scale_ = data_->size() ? data_->colwise().norm().maxCoeff() : 0.0;
    if (solver_ == NullSpaceSolver::sherman_morrison) sketch_data();
  }

  Eigen::MatrixXd basis_columns() const { return columns_of(*data_, basis_); }

  void invert_basis() {
    if (solver_ == NullSpaceSolver::sherman_morrison && !basis_.empty()) {
      inverse_ = basis_columns().partialPivLu().inverse();
    }
    swaps_ = 0;
    y_column_ = -1;
  }

  // S D for a fixed Gaussian S (kSketches x dim): E ||S e||^2 / kSketches = ||e||^2 for any e in
  // the column space, so the residual D_F v is checked in O(r) instead of O(r^2) per step.
  void sketch_data() {
    Rng rng(kSketchSeed);
    const Eigen::MatrixXd s = gaussian_matrix(kSketches, data_->rows(), rng);
    sketch_ = s * (*data_);
  }

  // v = (-M x_j on the basis ; 1 on j), accepted if D_F v is small; one re-inversion allowed.
  // y = M x_j may already be there from the fused update of the previous step.
  bool sherman_morrison_vector(int entering) {
    const Eigen::Index b = static_cast<Eigen::Index>(basis_.size());
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt == 1) invert_basis();
      if (y_column_ != entering) {
        y_.resize(b);
        kernels::gemv_colmajor(inverse_.data(), b, b, b, data_->col(entering).data(), y_.data());
      }
      y_column_ = entering;
      Sketch residual = sketch_.col(entering);
      for (Eigen::Index p = 0; p < b; ++p) residual -= y_(p) * sketch_.col(basis_[p]);
      const double estimate = residual.norm() / std::sqrt(static_cast<double>(kSketches));
      const double v_norm = std::sqrt(1.0 + y_.squaredNorm());
      if (estimate <= null_check_ * column_scale_ * v_norm) {
        v_.resize(b + 1);
        v_.head(b) = -y_;
        v_(b) = 1.0;
        return true;
      }
    }
    return false;
  }

  // v = the right singular vector of D_F (F = basis then j) for the smallest singular value.
  void svd_vector(int entering) {
    if (data_->rows() == 0) {  // no data constraint left: the column moves alone
      v_ = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(basis_.size()) + 1);
      return;
    }
    Eigen::MatrixXd f(data_->rows(), static_cast<Eigen::Index>(basis_.size()) + 1);
    f.leftCols(f.cols() - 1) = basis_columns();
    f.col(f.cols() - 1) = data_->col(entering);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(f, Eigen::ComputeFullV);
    v_ = svd.matrixV().col(f.cols() - 1);
  }

  int column_at(int position, int entering) const {
    return position < static_cast<int>(basis_.size()) ? basis_[position] : entering;
  }

  // Moves z_F along +-v until the first entry reaches the next target ahead; that entry is set
  // exactly to its target. Returns its position in F (basis positions, then the entering one).
  int move_and_freeze(int entering) {
    v_ /= v_.norm();
    const int size = static_cast<int>(v_.size());
    double best_t = std::numeric_limits<double>::infinity();
    double best_sign = 1.0, best_target = 0.0;
    int best = -1;
    for (const double sign : {1.0, -1.0}) {
      for (int p = 0; p < size; ++p) {
        const double direction = sign * v_(p);
        if (std::abs(direction) <= kZeroDirection) continue;
        const double zk = z_[column_at(p, entering)];
        const double target = direction > 0 ? targets_.level_at_or_above(zk, tol_)
                                            : targets_.level_at_or_below(zk, tol_);
        const double t = std::max(0.0, (target - zk) / direction);
        if (t < best_t) {
          best_t = t;
          best_sign = sign;
          best_target = target;
          best = p;
        }
      }
    }
    const double c = targets_.scale;
    for (int p = 0; p < size; ++p) {
      double& zk = z_[column_at(p, entering)];
      zk = std::clamp(zk + best_t * best_sign * v_(p), -c, c);
    }
    z_[column_at(best, entering)] = best_target;
    return best;
  }

  // Basis position p left: x_j replaces x_p, M <- M - (y - e_p)(e_p^T M) / y_p (§3.4).
  // The same pass over M computes y = M x for the next entering column (one sweep of M per
  // step instead of two: the walk is memory-bound for large r).
  void swap_into_basis(int p, int entering) {
    basis_[p] = entering;
    if (solver_ != NullSpaceSolver::sherman_morrison) return;
    if (++swaps_ >= kRefreshSwaps * static_cast<int>(basis_.size())) return invert_basis();
    const Eigen::RowVectorXd row = inverse_.row(p) / y_(p);
    Eigen::VectorXd u = y_;
    u(p) -= 1.0;
    const int next = pending_.empty() ? -1 : pending_.front();
    const Eigen::Index b = inverse_.rows();
    kernels::rank_one_update_gemv(inverse_.data(), b, b, b, u.data(), row.data(),
                                  next < 0 ? nullptr : data_->col(next).data(), y_.data());
    y_column_ = next;
  }

  // After an SVD step: the free working set minus the frozen entry, then the pending columns.
  void choose_basis_again(int entering, int leaving) {
    std::vector<int> candidates;
    for (int p = 0; p <= static_cast<int>(basis_.size()); ++p) {
      if (p != leaving) candidates.push_back(column_at(p, entering));
    }
    candidates.insert(candidates.end(), pending_.begin(), pending_.end());
    select_basis(candidates);
    invert_basis();
  }

  const Eigen::MatrixXd* data_;
  const SharedStart* start_;
  const std::vector<char>& zero_column_;
  Alphabet targets_;
  NullSpaceSolver solver_;
  double null_check_;
  double tol_;
  double* z_;
  Eigen::MatrixXd reduced_;
  double column_scale_ = 0.0;
  std::vector<int> basis_;
  std::deque<int> pending_;
  Eigen::MatrixXd inverse_;
  Eigen::Matrix<double, kSketches, Eigen::Dynamic> sketch_;  // S D, kSketches x N0
  Eigen::VectorXd y_, v_;
  int y_column_ = -1;  // the entering column y_ = M x belongs to (-1: none)
  int swaps_ = 0;
};

}  // namespace

SharedStart shared_start(const RowSpace& data, const VertexWalkOptions& options) {
  const size_t rank = static_cast<size_t>(data.rank);
  SharedStart start;
  if (options.solver != NullSpaceSolver::sherman_morrison || data.rank == data.basis.cols()) {
    return start;
  }
  for (Eigen::Index i = 0; i < data.basis.cols() && start.columns.size() < rank; ++i) {
    if (!data.zero_column[i]) start.columns.push_back(static_cast<int>(i));
  }
  if (rank == 0 || start.columns.size() < rank ||
      !invert_if_well_conditioned(columns_of(data.basis, start.columns), options.solver,
                                  &start.inverse)) {
    return {};
  }
  return start;
}

VertexWalkStats step_to_vertex(const RowSpace& data, const double* w, const Alphabet& targets,
                               const VertexWalkOptions& options, double* z,
                               const SharedStart* start) {
  return VertexWalk(data, targets, options, start, z).run(w);
}

}  // namespace trit::quant
