#include "nn/init.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"

namespace trit::nn::init {
namespace {

float leaky_relu_gain(float a) { return std::sqrt(2.0f / (1.0f + a * a)); }

int64_t pick(const Fans& f, FanMode mode) { return mode == FanMode::kFanIn ? f.in : f.out; }

}  // namespace

Fans fans(const Shape& shape) {
  check(shape.size() >= 2, "init",
        "fan in and fan out need at least 2 dimensions, got " + to_string(shape));
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

void uniform_(Tensor& tensor, float low, float high, Rng& rng) {
  float* data = tensor.data();
  for (int64_t i = 0; i < tensor.numel(); ++i) data[i] = low + (high - low) * rng.uniform();
}

void normal_(Tensor& tensor, float mean, float stddev, Rng& rng) {
  float* data = tensor.data();
  for (int64_t i = 0; i < tensor.numel(); ++i) data[i] = mean + stddev * rng.normal();
}

void constant_(Tensor& tensor, float value) {
  std::fill(tensor.data(), tensor.data() + tensor.numel(), value);
}

void kaiming_uniform_(Tensor& tensor, Rng& rng, float a, FanMode mode) {
  const float bound =
      leaky_relu_gain(a) * std::sqrt(3.0f / static_cast<float>(pick(fans(tensor.shape()), mode)));
  uniform_(tensor, -bound, bound, rng);
}

void kaiming_normal_(Tensor& tensor, Rng& rng, float a, FanMode mode) {
  const float stddev =
      leaky_relu_gain(a) / std::sqrt(static_cast<float>(pick(fans(tensor.shape()), mode)));
  normal_(tensor, 0.0f, stddev, rng);
}

void xavier_uniform_(Tensor& tensor, Rng& rng, float gain) {
  const Fans f = fans(tensor.shape());
  const float bound = gain * std::sqrt(6.0f / static_cast<float>(f.in + f.out));
  uniform_(tensor, -bound, bound, rng);
}

void xavier_normal_(Tensor& tensor, Rng& rng, float gain) {
  const Fans f = fans(tensor.shape());
  normal_(tensor, 0.0f, gain * std::sqrt(2.0f / static_cast<float>(f.in + f.out)), rng);
}

void default_weight_(Tensor& weight, Rng& rng) { kaiming_uniform_(weight, rng, std::sqrt(5.0f)); }

void default_bias_(Tensor& bias, const Shape& weight_shape, Rng& rng) {
  const int64_t fan_in = fans(weight_shape).in;
  const float bound = fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f;
  uniform_(bias, -bound, bound, rng);
}

void glorot_(Module& module, Rng& rng) {
  for (auto& [name, tensor] : module.named_parameters()) {
    const std::string leaf = name.substr(name.rfind('.') + 1);  // npos + 1 == 0
    if (leaf == "weight" && tensor.dim() >= 2) xavier_uniform_(tensor, rng);
    if (leaf == "bias") constant_(tensor, 0.0f);
  }
}

}  // namespace trit::nn::init
