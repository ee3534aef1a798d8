// Uniform symmetric alphabets and memoryless scalar quantisation (MSQ), spec ptq.md §2.
//
// Alphabet{scale c, levels L}: A = { c * (2k - (L-1)) / (L-1) : k = 0..L-1 }, L >= 2 points on
// [-c, c] including both ends, spacing delta = 2c / (L-1). Mid-tread alphabets (L = 2K+1)
// contain 0 exactly; L = 2 is binary {-c, c}. Level values are computed so that the ends are
// exactly +-c and the middle of an odd alphabet exactly 0 (tests compare with ==).
//
// MSQ: every entry independently to the nearest level, |x - Q(x)| <= delta/2 for |x| <= c;
// entries outside [-c, c] go to the nearest end.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

namespace trit::quant {

struct Alphabet {
  double scale = 1.0;  // c > 0
  int levels = 2;      // L >= 2

  double step() const { return 2.0 * scale / (levels - 1); }
  double level(int k) const { return scale * ((2.0 * k - (levels - 1)) / (levels - 1)); }
  // Index of the nearest level (ties to either neighbour), clamped to [0, L-1].
  int nearest_index(double x) const { return clamped_index(std::nearbyint((x + scale) / step())); }
  double nearest(double x) const { return level(nearest_index(x)); }
  // The first level at or above x, and at or below x; a level within `tol` on the other side
  // counts as reached (so an entry sitting on a level has distance zero in both directions).
  // Inline: the pre-processing's ratio test calls them twice per free entry and step.
  double level_at_or_above(double x, double tol) const {
    return level(clamped_index(std::ceil((x - tol + scale) / step())));
  }
  double level_at_or_below(double x, double tol) const {
    return level(clamped_index(std::floor((x + tol + scale) / step())));
  }
  // |x - nearest(x)| <= tol.
  bool contains(double x, double tol) const;

 private:
  int clamped_index(double k) const {
    return static_cast<int>(std::clamp(k, 0.0, static_cast<double>(levels - 1)));
  }
};

// How c is chosen from the weights W (N0 x N1, columns are neurons).
enum class ScaleMode {
  per_layer_max,   // c = max_ij |W_ij|, one alphabet for the layer (spec default)
  per_neuron_max,  // c_j = max_i |W_ij|
};

// One alphabet per neuron (column of W). A zero neuron (or layer) gets c = 1 so that the
// alphabet stays valid; its MSQ is then the zero level (odd L) or +-1 (L = 2).
// Throws trit::Error if levels < 2.
std::vector<Alphabet> layer_alphabets(const Eigen::MatrixXd& weights, int levels,
                                      ScaleMode mode = ScaleMode::per_layer_max);

// Entrywise MSQ of W with the alphabet of each column; alphabets.size() == W.cols().
Eigen::MatrixXd msq(const Eigen::MatrixXd& weights, const std::vector<Alphabet>& alphabets);

}  // namespace trit::quant
