// Inverted dropout.
//
// Contract
// - Training with p > 0: each element is kept with probability 1 - p and scaled by
//   1 / (1 - p) (so E[out] = x), otherwise zeroed. The mask takes one rng.uniform() per
//   element in row-major order (an element drops when the draw is < p): the same Rng
//   state gives the same mask.
// - Evaluation, or p == 0: returns x itself (no copy, nothing recorded, no draws).
// - Saved for backward: the mask (0 or 1 / (1 - p) per element); x.grad += g * mask.
// - p must lie in [0, 1): otherwise throws "dropout: p = 1 is outside [0, 1)".
#pragma once

#include "autograd/random.h"
#include "autograd/tensor.h"

namespace trit {

Tensor dropout(const Tensor& x, float p, bool training, Rng& rng);

}  // namespace trit
