// Seeded weight initialisers with PyTorch's formulas (torch.nn.init), drawing from trit::Rng.
//
// Each fills the tensor's storage in place, element 0 first, one Rng draw per element, and
// records nothing on the tape. Fans follow torch.nn.init._calculate_fan_in_and_fan_out:
// for a weight [out, in, k...] the receptive field is prod(k...), fan_in = in * receptive,
// fan_out = out * receptive; tensors with fewer than 2 dimensions throw.
// The bounds:
//   kaiming_uniform_: U(-b, b), b = gain * sqrt(3 / fan),   gain = sqrt(2 / (1 + a^2))
//   kaiming_normal_:  N(0, std), std = gain / sqrt(fan)
//   xavier_uniform_:  U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))   (Glorot)
//   xavier_normal_:   N(0, std), std = gain * sqrt(2 / (fan_in + fan_out))
// fan is fan_in or fan_out by `mode`; the gain uses leaky_relu's slope `a` (a = 0 is relu).
#pragma once

#include <cstdint>

#include "autograd/random.h"
#include "autograd/tensor.h"
#include "nn/module.h"

namespace trit::nn::init {

enum class FanMode { kFanIn, kFanOut };

struct Fans {
  int64_t in;
  int64_t out;
};
Fans fans(const Shape& shape);

void uniform_(Tensor& tensor, float low, float high, Rng& rng);
void normal_(Tensor& tensor, float mean, float stddev, Rng& rng);
void constant_(Tensor& tensor, float value);

void kaiming_uniform_(Tensor& tensor, Rng& rng, float a = 0.0f, FanMode mode = FanMode::kFanIn);
void kaiming_normal_(Tensor& tensor, Rng& rng, float a = 0.0f, FanMode mode = FanMode::kFanIn);
void xavier_uniform_(Tensor& tensor, Rng& rng, float gain = 1.0f);
void xavier_normal_(Tensor& tensor, Rng& rng, float gain = 1.0f);

// PyTorch's default for nn.Linear and nn.Conv2d (reset_parameters): the weight gets
// kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias gets
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in. Weight first, then bias.
void default_weight_(Tensor& weight, Rng& rng);
void default_bias_(Tensor& bias, const Shape& weight_shape, Rng& rng);

// Keras-style Glorot initialisation of a whole model (the VNQ paper pre-trains LeNet-5
// "from Glorot init"): every parameter named "weight" (last path component) with at least
// two dimensions gets xavier_uniform_, every "bias" gets zeros, in named_parameters()
// order; others (BatchNorm's 1-d weight) are left alone.
void glorot_(Module& module, Rng& rng);

}  // namespace trit::nn::init
