#include "nn/dropout.h"

#include <sstream>

#include "autograd/error.h"
#include "autograd/ops/dropout.h"

namespace trit::nn {
namespace {

constexpr int64_t kPieces = 16;  // 4 words x 4 pieces of 16 bits

void store(const Rng::State& state, Tensor& buffer) {
  for (int64_t i = 0; i < kPieces; ++i)
    buffer.data()[i] = static_cast<float>((state[i / 4] >> (16 * (i % 4))) & 0xffffu);
}

}  // namespace

Dropout::Dropout(float p, uint64_t seed) : Module("Dropout"), p_(p) {
  check(p >= 0.0f && p < 1.0f, "Dropout", "p = " + std::to_string(p) + " is outside [0, 1)");
  rng_state_ = register_buffer("rng_state", Tensor::empty({kPieces}));
  store(Rng(seed).state(), rng_state_);
}

Rng::State Dropout::rng_state() const {
  Rng::State state{};
  for (int64_t i = 0; i < kPieces; ++i) {
    const float piece = rng_state_.data()[i];
    check(piece >= 0.0f && piece <= 65535.0f && piece == static_cast<float>(int64_t(piece)),
          "Dropout", "rng_state holds " + std::to_string(piece) + ", not a 16-bit piece");
    state[i / 4] |= static_cast<uint64_t>(piece) << (16 * (i % 4));
  }
  return state;
}

Tensor Dropout::forward(const Tensor& input) {
  if (!is_training() || p_ == 0.0f) return input;
  Rng rng;
  rng.set_state(rng_state());
  Tensor output = dropout(input, p_, true, rng);
  store(rng.state(), rng_state_);
  return output;
}

std::string Dropout::repr() const {
  std::ostringstream out;
  out << "Dropout(p=" << p_ << ")";
  return out.str();
}

}  // namespace trit::nn
