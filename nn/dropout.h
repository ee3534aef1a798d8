// Dropout: inverted dropout in training, identity in evaluation (PyTorch's nn.Dropout; the
// op is autograd/ops/dropout.h).
//
// The layer owns its random stream, seeded at construction, and keeps the stream's state in
// the buffer "rng_state" (the four 64-bit words as sixteen 16-bit pieces, exact in float),
// so a checkpoint restores the stream and a resumed run draws the same masks. Evaluation
// and p = 0 draw nothing.
#pragma once

#include <cstdint>

#include "autograd/random.h"
#include "nn/module.h"

namespace trit::nn {

class Dropout : public Module {
 public:
  // p in [0, 1) (else Error).
  Dropout(float p, uint64_t seed);

  Tensor forward(const Tensor& input) override;
  std::string repr() const override;  // "Dropout(p=0.2)"

  float p() const { return p_; }
  Rng::State rng_state() const;

 private:
  float p_;
  Tensor rng_state_;
};

}  // namespace trit::nn
