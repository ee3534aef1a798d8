// VnqConfig: every knob of Variational Network Quantization in one place, defaulting to the
// camera-ready choices of shared/spec/vnq.md (the submission's values in comments).
#pragma once

#include <cmath>

namespace trit::quant {

struct VnqConfig {
  float log_threshold = 2.0f;     // prune at log alpha >= log T (§5; submission: 3)
  float init_log_sigma2 = -8.0f;  // §4.2
  float min_log_sigma2 = -10.0f;  // ls clipped to (min, max) after each step (§4.3)
  float max_log_sigma2 = 1.0f;
  float min_level = 0.05f;        // codebook level a >= 0.05 (§2.1)
  bool shadow_weights = true;     // straight-through clip of theta (§4.3, camera-ready)

  // Width of theta's clip band beyond +-a, in units of sigma: b = 1/sqrt(T) (§4.3).
  float clip_factor() const { return std::exp(-0.5f * log_threshold); }
};

}  // namespace trit::quant
