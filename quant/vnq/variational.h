// Variational layers of VNQ (shared/spec/vnq.md §1): a Gaussian posterior N(theta, sigma^2)
// per weight, trained with the local reparameterisation trick, with a learned ternary
// codebook level `a` per layer (§2.1).
//
// Parameters (names as in state dicts): "weight" = theta (so a pre-trained Linear/Conv2d
// checkpoint initialises it by name), "log_sigma2" = ls, "bias" (optional, deterministic),
// "level" = a, or "log_level" = log a with config().level_param == kLog (one element;
// optimise it at 1/100 of the main learning rate, §2.1).
//
// Modes (set_mode):
//   kSample  — training: pre-activations sampled as M + sqrt(V + 1e-8) Z with
//              M = f(x, theta_c) + bias, V = f(x^2, sigma^2), fresh Z per example (§1.1),
//              where theta_c is theta clipped to +-(a + b sigma) straight-through (§4.3);
//   kMeans   — deterministic, weights theta_c (the paper's "VNQ, no P&Q" row, §1.2): with
//              shadow weights the posterior means are the clipped values the likelihood
//              and the KL were trained with, not the unclipped shadow theta;
//   kTernary — deterministic, pruned + quantised weights in {-a, 0, +a} (§5).
// A layer samples only in kSample; train()/eval() do not change the mode.
// After each optimiser step call project(): ls into its bounds, a >= min_level (§4.3).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "autograd/ops/conv.h"
#include "autograd/random.h"
#include "nn/fusable_convolution.h"
#include "nn/module.h"
#include "quant/vnq/config.h"

namespace trit::quant {

enum class VnqMode { kSample, kMeans, kTernary };

// The pruning + quantisation rule of §5 for one weight. Pruned: log alpha = ls - log theta^2
// >= log T. The code is 0 when pruned, else the nearest of {-a, 0, +a} as -1, 0 or +1.
bool vnq_pruned(float theta, float log_sigma2, float log_threshold);
// The level a minimising sum (w - a q(w))^2 over ternary q with TWN's threshold
// 0.7 mean |w| (Li & Liu 2016): the mean |w| of the weights above that threshold.
float ternary_fit_level(const float* w, int64_t n);
// 2 |w|_(k) with k = floor(share * n) (0-based order statistic of |w|): the level whose zero
// funnel (|w| < a/2) holds a share `share` of the weights. share in (0, 1).
float zero_share_level(const float* w, int64_t n, float share);
int8_t vnq_code(float theta, float log_sigma2, float level, float log_threshold);

class VariationalLayer : public nn::Module {
 public:
  void set_mode(VnqMode mode) { mode_ = mode; }
  VnqMode mode() const { return mode_; }

  // weight * the sum over this layer's weights of KL_w(theta_c, ls, a) (§3.2), recorded on
  // the tape (the weight folded into the cached gradients, see vnq_kl).
  Tensor kl(float weight = 1.0f);
  // Projects ls into [min_log_sigma2, max_log_sigma2] and a to >= min_level (§2.1, §4.3).
  void project();
  // a from theta by config().level_init (§2.1), at least min_level; call after theta is loaded.
  void init_level_from_weights();

  // Ternary codes in {-1, 0, +1} of the P&Q rule (§5): prune where
  // log alpha = ls - log theta^2 >= log T, else the nearest of {-a, 0, +a}.
  std::vector<int8_t> ternary_codes() const;
  // The weights the layer computes with in `mode` (theta_c, theta or a * codes).
  Tensor weights_for(VnqMode mode);

  Tensor theta() const { return theta_; }
  Tensor log_sigma2() const { return log_sigma2_; }
  // The trainable level parameter: a, or log a (config().level_param).
  Tensor level() const { return level_; }
  float level_value() const;    // a
  void set_level(float value);  // sets a
  Tensor bias() const { return bias_; }
  const VnqConfig& config() const { return config_; }

  Tensor forward(const Tensor& x) override;
  // Restarts the noise stream (VNQ training reseeds per epoch so that resume is exact).
  void reseed(uint64_t seed) { rng_ = Rng(seed); }
  void reseed(const Rng& rng) { rng_ = rng; }

 protected:
  VariationalLayer(std::string type, const Shape& weight_shape, int64_t out_features,
                   bool bias, const VnqConfig& config, uint64_t seed);
  // The deterministic layer function: linear or convolution of x with w (+ b).
  virtual Tensor apply(const Tensor& x, const Tensor& w, const Tensor& b) const = 0;
  // The layer's output in its mode, from `layer(w, b, input)`: the layer function of the
  // input (kPlain) or of its square (kSquared, the variance path) with w (+ b if defined).
  using LayerFunction =
      std::function<Tensor(const Tensor& w, const Tensor& b, NormReluInput input)>;
  Tensor forward_with(const LayerFunction& layer);
  // Whether kSample adds the bias in the sampling op instead of in apply(): for outputs with
  // a plane per channel, whose bias gradient the sampling backward sums while it reads g.
  virtual bool samples_bias() const { return false; }

 private:
  Tensor clipped_theta();  // theta_c of §4.3 (theta itself without shadow weights)

  VnqConfig config_;
  VnqMode mode_ = VnqMode::kSample;
  Rng rng_;
  Tensor theta_, log_sigma2_, bias_, level_;
};

// Variational twin of nn::Linear: x [N, in] -> [N, out], weight [out, in].
class VariationalLinear : public VariationalLayer {
 public:
  VariationalLinear(int64_t in_features, int64_t out_features, bool bias = true,
                    const VnqConfig& config = {}, uint64_t seed = 0);
  std::string repr() const override;

 protected:
  Tensor apply(const Tensor& x, const Tensor& w, const Tensor& b) const override;
};

// Variational twin of nn::Conv2d: weight [out, in/groups, k, k]. As a FusableConvolution
// (nn/fusable_convolution.h) its mean and variance paths both convolve the caller's implicit
// input, the variance path its square: a VNQ DenseNet runs fused like the float one.
class VariationalConv2d : public VariationalLayer, public nn::FusableConvolution {
 public:
  VariationalConv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                    const Conv2dOptions& options = {}, bool bias = true,
                    const VnqConfig& config = {}, uint64_t seed = 0);
  std::string repr() const override;
  const Conv2dOptions& options() const { return options_; }
  Tensor forward_fused(const Convolve& convolve) override;

 protected:
  Tensor apply(const Tensor& x, const Tensor& w, const Tensor& b) const override;
  bool samples_bias() const override { return true; }

 private:
  Conv2dOptions options_;
};

}  // namespace trit::quant
