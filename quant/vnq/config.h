// VnqConfig: every knob of Variational Network Quantization in one place, defaulting to the
// camera-ready choices of shared/spec/vnq.md (the submission's values in comments). The layers
// read the pruning, clipping and level knobs; the training loop the KL schedule; a VNQ
// checkpoint records all of them (quant/vnq/checkpoint.h).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace trit::quant {

struct VnqConfig {
  // The KL term's weight beta (§4.2): 0 for kl_delay epochs, then rising linearly to 1 over
  // kl_warmup epochs (kl_weight in quant/vnq/model.h).
  double kl_warmup = 15.0;
  double kl_delay = 0.0;
  float log_threshold = 2.0f;     // prune at log alpha >= log T (§5; submission: 3)
  float init_log_sigma2 = -8.0f;  // §4.2
  float min_log_sigma2 = -10.0f;  // ls clipped to (min, max) after each step (§4.3)
  float max_log_sigma2 = 1.0f;
  float min_level = 0.05f;        // codebook level a >= 0.05 (§2.1)
  bool shadow_weights = true;     // straight-through clip of theta (§4.3, camera-ready)
  // Initial codebook level a (§2.1), all rules floored at min_level:
  //  kMaxAbs: max |w| of the pre-trained layer (the spec's rule, [M] for DenseNet, [R] for
  //    LeNet-5);
  //  kTernaryFit: the closed-form ternary fit of those weights (Li & Liu's TWN: threshold
  //    0.7 mean |w|, a = mean |w| above it);
  //  kZeroShare: a = 2 * the zero_share-quantile of |w|, so that a share zero_share of the
  //    weights starts nearer 0 than +-a. On a short schedule sigma hardly grows and the
  //    weights settle in the funnel nearest to where they start, so this share sets the
  //    sparsity; max |w| puts nearly every weight of a wide layer in the zero funnel.
  enum class LevelInit { kMaxAbs, kTernaryFit, kZeroShare };
  LevelInit level_init = LevelInit::kMaxAbs;
  float zero_share = 0.7f;  // kZeroShare only, in (0, 1)

  // How the codebook level is learned (§2.1, [R]: the paper does not say): kRaw trains a
  // itself (parameter "level"), kLog trains log a (parameter "log_level"), so an optimiser
  // step moves a by a fraction of itself; either way a >= min_level after project() (as
  // exp(log a) to rounding).
  enum class LevelParam { kRaw, kLog };
  LevelParam level_param = LevelParam::kRaw;

  // The learning rate of every log sigma^2 as a multiple of the main one. 1: one rate for
  // theta and log sigma^2, as the paper trains them (§4.2). Not the paper's otherwise: for
  // the DenseNet study (issue 15), where log sigma^2 may need to move faster than theta.
  float log_sigma2_lr_scale = 1.0f;

  // Dotted names of Linear/Conv2d layers left deterministic, in float (DenseNet's "w/o 1" row
  // keeps the first conv, "features.conv0"; §5 item 4).
  std::vector<std::string> keep_float;

  // Width of theta's clip band beyond +-a, in units of sigma: b = 1/sqrt(T) (§4.3).
  float clip_factor() const { return std::exp(-0.5f * log_threshold); }
};

// The level-init rule as the checkpoint and the command line write it: "max-abs",
// "ternary-fit", or the zero share ("0.65") for kZeroShare.
std::string level_init_text(const VnqConfig& config);
// Sets config.level_init (and zero_share) from such a text; throws Error naming `where` for
// anything else, or a share outside (0, 1).
void set_level_init(VnqConfig& config, const std::string& text, const std::string& where);

// "raw" | "log", and back (throws Error naming `where` for anything else).
std::string level_param_text(VnqConfig::LevelParam param);
VnqConfig::LevelParam parse_level_param(const std::string& text, const std::string& where);

}  // namespace trit::quant
