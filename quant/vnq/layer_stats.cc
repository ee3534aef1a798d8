#include "quant/vnq/layer_stats.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "quant/vnq/variational.h"

namespace trit::quant {
namespace {

// The q-quantile of `values` (nearest rank, q in [0, 1]); reorders them.
double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0.0;
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

LayerStats layer_stats(const LayerWeights& layer) {
  const size_t n = layer.theta.size();
  check(layer.log_sigma2.size() == n && layer.codes.size() == n, "layer_stats",
        layer.name + ": theta, log_sigma2 and codes have " + std::to_string(n) + ", " +
            std::to_string(layer.log_sigma2.size()) + " and " +
            std::to_string(layer.codes.size()) + " values");
  LayerStats stats;
  stats.weights = static_cast<int64_t>(n);
  stats.level = layer.level;
  if (n == 0) return stats;
  const double a = layer.level;
  const double funnel_width = std::exp(-0.5 * layer.log_threshold);  // in units of sigma
  std::vector<double> distance(n), log_alpha(n);
  int64_t zero_funnel = 0, level_funnels = 0, nonzero = 0;
  double error2 = 0, norm2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double theta = layer.theta[i], sigma = std::exp(0.5 * layer.log_sigma2[i]);
    const double to_zero = std::abs(theta), to_level = std::abs(std::abs(theta) - a);
    distance[i] = std::min(to_zero, to_level) / sigma;
    log_alpha[i] = layer.log_sigma2[i] - std::log(std::max(theta * theta, 1e-30));
    if (vnq_pruned(layer.theta[i], layer.log_sigma2[i], layer.log_threshold))
      ++zero_funnel;
    else if (to_level <= funnel_width * sigma)
      ++level_funnels;
    nonzero += layer.codes[i] != 0;
    const double moved = theta - a * layer.codes[i];
    error2 += moved * moved;
    norm2 += theta * theta;
  }
  stats.in_zero_funnel = double(zero_funnel) / n;
  stats.in_level_funnels = double(level_funnels) / n;
  stats.outside_funnels = 1.0 - stats.in_zero_funnel - stats.in_level_funnels;
  stats.nonzero = double(nonzero) / n;
  stats.distance_median = quantile(distance, 0.5);
  stats.distance_p90 = quantile(distance, 0.9);
  stats.log_alpha_p10 = quantile(log_alpha, 0.1);
  stats.log_alpha_median = quantile(log_alpha, 0.5);
  stats.log_alpha_p90 = quantile(log_alpha, 0.9);
  stats.relative_error = norm2 > 0 ? std::sqrt(error2 / norm2) : 0.0;
  return stats;
}

}  // namespace trit::quant
