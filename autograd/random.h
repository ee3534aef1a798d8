// Rng: the one explicit, seedable random number generator of trit (xoshiro256**).
//
// Contract: the same seed gives the same stream on every platform and compiler (no
// std::*_distribution, whose output is implementation-defined). The whole state is
// four 64-bit words, so checkpoints can save and restore it exactly. Not thread-safe:
// give each thread its own Rng (e.g. `Rng(seed).split(i)`).
#pragma once

#include <array>
#include <cstdint>

namespace trit {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits (exactly representable floats).
  float uniform();
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n);
  // Standard normal N(0, 1) by the Box-Muller transform (one value per call).
  float normal();
  // An independent generator derived from this one's current state and `stream`.
  Rng split(uint64_t stream) const;

  using State = std::array<uint64_t, 4>;
  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  State state_;
};

}  // namespace trit
