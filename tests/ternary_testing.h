// Test helpers for ternary layers: seeded random codes and packed weights.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/random.h"
#include "quant/ternary/pack.h"

namespace trit::testing {

// rows * cols codes, each -1, 0 or +1 with equal probability (zeros are as common as in a
// VNQ layer with moderate pruning).
inline std::vector<int8_t> random_codes(int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  std::vector<int8_t> codes(size_t(rows * cols));
  for (int8_t& c : codes) c = int8_t(int(rng.below(3)) - 1);
  return codes;
}

inline quant::PackedTernary random_ternary(int64_t rows, int64_t cols, float level, uint64_t seed) {
  return quant::pack_ternary(random_codes(rows, cols, seed).data(), rows, cols, level);
}

// Packed codes of which a share `nonzero` (in [0, 1]) on average is +-1, the sign even odds:
// the sparsity of a layer after VNQ's pruning (6-35 % non-zero).
inline quant::PackedTernary sparse_random_ternary(int64_t rows, int64_t cols, double nonzero,
                                                  float level, uint64_t seed) {
  Rng rng(seed);
  std::vector<int8_t> codes(size_t(rows * cols));
  for (int8_t& c : codes)
    c = rng.uniform() < nonzero ? int8_t(rng.below(2) ? 1 : -1) : int8_t(0);
  return quant::pack_ternary(codes.data(), rows, cols, level);
}

}  // namespace trit::testing
