// Random streams of a training run, each a pure function of its key.
//
// Contract: stream_rng(seed, purpose, epoch, index) returns the same generator for the same
// arguments, and unrelated generators for different ones. Shuffling draws from
// (seed, kShuffle, epoch), augmentation from (seed, kAugment, epoch, sample index), so an
// epoch's order and every sample's augmentation are fixed by the seed alone: independent
// of batch size, prefetching, thread count and of the epochs before (resuming at epoch e
// reproduces it exactly). A model's own noise (VNQ's sampled layers) draws from
// (seed, kModelNoise, epoch, layer index) in the same way (train/vnq.h).
#pragma once

#include <cstdint>

#include "autograd/random.h"

namespace trit::datasets {

enum class Stream : uint64_t { kShuffle = 1, kAugment = 2, kModelNoise = 3 };

inline Rng stream_rng(uint64_t seed, Stream purpose, int64_t epoch, int64_t index = 0) {
  return Rng(seed)
      .split(static_cast<uint64_t>(purpose))
      .split(static_cast<uint64_t>(epoch))
      .split(static_cast<uint64_t>(index));
}

}  // namespace trit::datasets
