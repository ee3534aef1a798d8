// The figures of the VNQ paper for one layer, as PNG files (shared/spec/vnq.md §5, §9.6).
//
// plot_vnq_scatter: theta (x) against log sigma^2 (y), one point per weight (a seeded random
//   subset of at most `max_points` for big layers), coloured by what P&Q does with it
//   (pruned, snapped to 0, snapped to +-a); dashed vertical lines at the codebook values
//   {-a, 0, +a}; the pruning boundary log sigma^2 = log T + log theta^2 (the zero funnel:
//   weights below it, close to 0 in units of sigma, are pruned) and its shifted copies
//   log sigma^2 = log T + log (theta -+ a)^2 (the funnels at +-a). Title: the layer's name.
// plot_weight_histogram: counts (log scale) of the weights before quantisation (theta, the
//   VNQ means; may be empty, e.g. for a ternary checkpoint) and after (level * codes: three
//   bars at -a, 0, +a), on one bin grid.
// Both throw trit::Error when sizes disagree or the file cannot be written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::quant {

struct LayerWeights {
  std::string name;               // dotted layer name, used in the title
  std::vector<float> theta;       // means (empty if unknown)
  std::vector<float> log_sigma2;  // same size as theta (empty if unknown)
  std::vector<int8_t> codes;      // the P&Q codes in {-1, 0, +1}
  float level = 0.0f;             // a
  float log_threshold = 2.0f;     // log T of the P&Q rule
};

class VariationalLayer;

// What the figures show of a variational layer: theta is theta_c, the means the network
// computes with (§4.3; with shadow weights the unclipped theta can lie far outside the
// funnels), with log sigma^2, the P&Q codes (§5), a and log T.
LayerWeights layer_weights(const std::string& name, VariationalLayer& layer);

void plot_vnq_scatter(const LayerWeights& layer, const std::string& path,
                      int64_t max_points = 20000);
void plot_weight_histogram(const LayerWeights& layer, const std::string& path, int bins = 81);

}  // namespace trit::quant
