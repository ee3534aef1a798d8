// Where one variational layer's weights sit relative to its codebook: the numbers behind the
// funnel plots (shared/spec/vnq.md §5), for telling a converged layer from one that P&Q will
// hurt.
//
// With a = the codebook level, log T = the P&Q threshold and sigma = exp(ls / 2), a weight is
// inside the funnel of a codebook value c in {-a, 0, +a} when
//     log sigma^2 >= log T + log (theta - c)^2,   i.e.  |theta - c| <= sigma exp(-log T / 2).
// The funnel of 0 is exactly the pruning rule (log alpha >= log T). A layer whose weights all
// sit inside some funnel loses little to P&Q: each weight moves to its code by at most a
// fraction exp(-log T / 2) of its own standard deviation, which training already made the
// network robust to. Weights outside every funnel are the ones P&Q moves by more.
#pragma once

#include <cstdint>

#include "quant/vnq/plots.h"

namespace trit::quant {

struct LayerStats {
  int64_t weights = 0;
  float level = 0;           // a
  double in_zero_funnel = 0;   // share pruned (log alpha >= log T)
  double in_level_funnels = 0; // share inside the funnel of -a or +a
  double outside_funnels = 0;  // 1 - the two above
  double nonzero = 0;          // share with a non-zero P&Q code
  // |theta - c| / sigma for the nearest codebook value c: median and 90th percentile.
  double distance_median = 0, distance_p90 = 0;
  // log alpha = log sigma^2 - log theta^2 (§5): 10th, 50th, 90th percentile.
  double log_alpha_p10 = 0, log_alpha_median = 0, log_alpha_p90 = 0;
  // |theta - a q| / |theta| over the layer (q the P&Q codes): P&Q's relative weight error.
  double relative_error = 0;
};

// The statistics of `layer` (theta, log sigma^2, codes, a, log T); throws trit::Error when
// their sizes disagree. An empty layer gives zeros.
LayerStats layer_stats(const LayerWeights& layer);

}  // namespace trit::quant
