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

}  // namespace trit::testing
