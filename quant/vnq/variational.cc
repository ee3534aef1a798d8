#include "quant/vnq/variational.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/unary.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/unary.h"
#include "quant/vnq/kernels/kl.h"
#include "quant/vnq/kernels/reparam.h"
#include "quant/vnq/kl.h"
#include "quant/vnq/reparam.h"

namespace trit::quant {

VariationalLayer::VariationalLayer(std::string type, const Shape& weight_shape,
                                   int64_t out_features, bool bias, const VnqConfig& config,
                                   uint64_t seed)
    : nn::Module(std::move(type)), config_(config), rng_(seed) {
  // theta starts at zero here; a pre-trained layer's weights are loaded into it (§4.2).
  theta_ = register_parameter("weight", Tensor::zeros(weight_shape));
  log_sigma2_ = register_parameter("log_sigma2", Tensor::full(weight_shape, config.init_log_sigma2));
  if (bias) bias_ = register_parameter("bias", Tensor::zeros({out_features}));
  const bool log_level = config.level_param == VnqConfig::LevelParam::kLog;
  level_ = register_parameter(log_level ? "log_level" : "level", Tensor::zeros({1}));
  set_level(config.min_level);
}

float VariationalLayer::level_value() const {
  const float stored = level_.item();
  return config_.level_param == VnqConfig::LevelParam::kLog ? std::exp(stored) : stored;
}

void VariationalLayer::set_level(float value) {
  level_.data()[0] = config_.level_param == VnqConfig::LevelParam::kLog ? std::log(value) : value;
}

Tensor VariationalLayer::clipped_theta() {
  if (!config_.shadow_weights) return theta_;
  // bound a + b sigma, a constant (§4.3, [R])
  return clip_to_band(theta_, log_sigma2_, level_value(), config_.clip_factor());
}

Tensor VariationalLayer::kl(float weight) {
  // at clipped_theta()'s values, clipped inside the KL's pass (no second clipped array)
  const Tensor a = config_.level_param == VnqConfig::LevelParam::kLog ? exp(level_) : level_;
  return vnq_kl(theta_, log_sigma2_, a,
                config_.shadow_weights ? config_.clip_factor() : kernels::kNoClip, weight);
}

void VariationalLayer::project() {
  NoGradGuard no_grad;
  const size_t n = static_cast<size_t>(theta_.numel());
  float* ls = log_sigma2_.data();
  kernels::clamp(ls, config_.min_log_sigma2, config_.max_log_sigma2, ls, n);
  const float level = std::max(level_value(), config_.min_level);
  set_level(level);
  if (!config_.shadow_weights)  // hard projection of theta instead (§4.3 without shadow)
    kernels::clip_to_band(theta_.data(), ls, level, config_.clip_factor(), theta_.data(), n);
}

float ternary_fit_level(const float* w, int64_t n) {
  double sum_abs = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_abs += std::abs(w[i]);
  const double threshold = 0.7 * sum_abs / std::max<int64_t>(n, 1);
  double sum_above = 0.0;
  int64_t above = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::abs(w[i]) > threshold) sum_above += std::abs(w[i]), ++above;
  return above ? static_cast<float>(sum_above / above) : 0.0f;
}

float zero_share_level(const float* w, int64_t n, float share) {
  check(share > 0.0f && share < 1.0f, "zero_share_level",
        "share " + std::to_string(share) + " is not in (0, 1)");
  if (n == 0) return 0.0f;
  std::vector<float> magnitude(n);
  for (int64_t i = 0; i < n; ++i) magnitude[i] = std::abs(w[i]);
  const int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(share * n));
  std::nth_element(magnitude.begin(), magnitude.begin() + k, magnitude.end());
  return 2.0f * magnitude[k];
}

void VariationalLayer::init_level_from_weights() {
  const float* theta = theta_.data();
  const int64_t n = theta_.numel();
  float level = 0.0f;
  switch (config_.level_init) {
    case VnqConfig::LevelInit::kTernaryFit: level = ternary_fit_level(theta, n); break;
    case VnqConfig::LevelInit::kZeroShare: level = zero_share_level(theta, n, config_.zero_share); break;
    case VnqConfig::LevelInit::kMaxAbs:
      for (int64_t i = 0; i < n; ++i) level = std::max(level, std::abs(theta[i]));
      break;
  }
  set_level(std::max(level, config_.min_level));
}

bool vnq_pruned(float theta, float log_sigma2, float log_threshold) {
  return log_sigma2 - std::log(std::max(theta * theta, 1e-30f)) >= log_threshold;
}

int8_t vnq_code(float theta, float log_sigma2, float level, float log_threshold) {
  if (vnq_pruned(theta, log_sigma2, log_threshold)) return 0;
  if (std::abs(theta) < 0.5f * level) return 0;  // nearest of {-a, 0, +a} (§5 step 2)
  return theta > 0 ? 1 : -1;
}

std::vector<int8_t> VariationalLayer::ternary_codes() const {
  const float *theta = theta_.data(), *ls = log_sigma2_.data();
  const float level = level_value();
  std::vector<int8_t> codes(theta_.numel());
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = vnq_code(theta[i], ls[i], level, config_.log_threshold);
  return codes;
}

Tensor VariationalLayer::weights_for(VnqMode mode) {
  switch (mode) {
    case VnqMode::kSample: return clipped_theta();
    case VnqMode::kMeans: return clipped_theta();  // the means the network computes with
    case VnqMode::kTernary: {
      Tensor w = Tensor::empty(theta_.shape());
      const std::vector<int8_t> codes = ternary_codes();
      const float level = level_value();
      std::transform(codes.begin(), codes.end(), w.data(), [level](int8_t c) { return level * c; });
      return w;
    }
  }
  throw Error("VariationalLayer: unknown mode");
}

Tensor VariationalLayer::forward(const Tensor& x) {
  return forward_with([&](const Tensor& w, const Tensor& b, NormReluInput input) {
    return apply(input == NormReluInput::kSquared ? square(x) : x, w, b);
  });
}

Tensor VariationalLayer::forward_with(const LayerFunction& layer) {
  if (mode_ != VnqMode::kSample) return layer(weights_for(mode_), bias_, NormReluInput::kPlain);
  Tensor theta_c = theta_, sigma2;
  if (config_.shadow_weights) {  // both weight arrays from one pass
    BandAndVariance band = clip_to_band_with_variance(theta_, log_sigma2_, level_value(),
                                                      config_.clip_factor());
    theta_c = band.theta_c;
    sigma2 = band.sigma2;
  } else {
    sigma2 = exp(log_sigma2_);
  }
  const Tensor sampled_bias = samples_bias() ? bias_ : Tensor();
  const Tensor mean =
      layer(theta_c, sampled_bias.defined() ? Tensor() : bias_, NormReluInput::kPlain);
  const Tensor var = layer(sigma2, Tensor(), NormReluInput::kSquared);
  return sample_local_reparameterize(mean, var, sampled_bias, rng_);
}

VariationalLinear::VariationalLinear(int64_t in_features, int64_t out_features, bool bias,
                                     const VnqConfig& config, uint64_t seed)
    : VariationalLayer("VariationalLinear", {out_features, in_features}, out_features, bias,
                       config, seed) {}

Tensor VariationalLinear::apply(const Tensor& x, const Tensor& w, const Tensor& b) const {
  return linear(x, w, b);
}

VariationalConv2d::VariationalConv2d(int64_t in_channels, int64_t out_channels,
                                     int64_t kernel_size, const Conv2dOptions& options,
                                     bool bias, const VnqConfig& config, uint64_t seed)
    : VariationalLayer("VariationalConv2d",
                       {out_channels, in_channels / options.groups, kernel_size, kernel_size},
                       out_channels, bias, config, seed),
      options_(options) {}

Tensor VariationalConv2d::apply(const Tensor& x, const Tensor& w, const Tensor& b) const {
  return conv2d(x, w, b, options_);
}

Tensor VariationalConv2d::forward_fused(const Convolve& convolve) {
  return forward_with([&](const Tensor& w, const Tensor& b, NormReluInput input) {
    return nn::add_channel_bias(convolve(w, options_, input), b);
  });
}

std::string VariationalConv2d::repr() const {
  const Shape& w = theta().shape();
  return "VariationalConv2d(" + std::to_string(w[1] * options_.groups) + ", " +
         std::to_string(w[0]) + ", kernel=" + std::to_string(w[2]) + ")";
}

std::string VariationalLinear::repr() const {
  const Shape& w = theta().shape();
  return "VariationalLinear(" + std::to_string(w[1]) + ", " + std::to_string(w[0]) + ")";
}

}  // namespace trit::quant
