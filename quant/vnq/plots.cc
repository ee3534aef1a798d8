#include "quant/vnq/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/random.h"
#include "quant/vnq/variational.h"
#include "report/plot.h"

namespace trit::quant {
namespace {

constexpr report::Color kPruned{165, 165, 165}, kToZero{86, 180, 233}, kToLevel{0, 90, 160};
constexpr int kWidth = 1300, kHeight = 720;
constexpr report::Color kBoundary{213, 94, 0}, kFunnel{204, 121, 167};

std::string format(const char* pattern, double a, double b, double c = 0, double d = 0) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c, d);
  return buffer;
}

// At most `count` of the indices [0, n), a seeded random subset in increasing order.
std::vector<int64_t> subsample(int64_t n, int64_t count) {
  std::vector<int64_t> index(static_cast<size_t>(n));
  std::iota(index.begin(), index.end(), 0);
  if (count >= n) return index;
  Rng rng(n);
  for (int64_t i = 0; i < count; ++i)  // partial Fisher-Yates
    std::swap(index[i], index[i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)))]);
  index.resize(static_cast<size_t>(count));
  std::sort(index.begin(), index.end());
  return index;
}

// The two branches of log sigma^2 = log T + log (theta - c)^2 inside [ylo, yhi].
void add_funnel(report::Plot& p, double c, double log_threshold, double ylo, double yhi,
                const std::string& label, report::Style style) {
  std::vector<double> ys, left, right;
  for (int k = 0; k <= 200; ++k) {
    const double y = ylo + (yhi - ylo) * k / 200.0;
    const double half_width = std::exp(0.5 * (y - log_threshold));
    ys.push_back(y);
    left.push_back(c - half_width);
    right.push_back(c + half_width);
  }
  p.line(left, ys, label, style);
  p.line(right, ys, "", style);
}

// max(at_least, max |values|); at_least > 0 keeps axis ranges non-empty.
float max_abs(const std::vector<float>& values, float at_least) {
  float m = at_least;
  for (const float v : values) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

LayerWeights layer_weights(const std::string& name, VariationalLayer& layer) {
  NoGradGuard no_grad;
  return {name,
          layer.weights_for(VnqMode::kMeans).to_vector(),
          layer.log_sigma2().to_vector(),
          layer.ternary_codes(),
          layer.level_value(),
          layer.config().log_threshold};
}

void plot_vnq_scatter(const LayerWeights& layer, const std::string& path, int64_t max_points) {
  const int64_t n = static_cast<int64_t>(layer.theta.size());
  check(layer.log_sigma2.size() == layer.theta.size() && layer.codes.size() == layer.theta.size(),
        "plot_vnq_scatter",
        layer.name + ": theta, log_sigma2 and codes have " + std::to_string(n) + ", " +
            std::to_string(layer.log_sigma2.size()) + " and " + std::to_string(layer.codes.size()) +
            " values");
  // Groups: pruned, snapped to 0, snapped to +-a; counted over all weights, drawn subsampled.
  const auto group_of = [&](int64_t i) {
    return vnq_pruned(layer.theta[i], layer.log_sigma2[i], layer.log_threshold) ? 0
           : layer.codes[i] == 0                                                ? 1
                                                                                : 2;
  };
  int64_t counts[3] = {0, 0, 0};
  double ylo = -1.0, yhi = 1.0;
  if (n > 0) ylo = yhi = layer.log_sigma2[0];
  for (int64_t i = 0; i < n; ++i) {
    ++counts[group_of(i)];
    ylo = std::min<double>(ylo, layer.log_sigma2[i]);
    yhi = std::max<double>(yhi, layer.log_sigma2[i]);
  }
  std::vector<double> xs[3], ys[3];
  for (const int64_t i : subsample(n, max_points)) {
    xs[group_of(i)].push_back(layer.theta[i]);
    ys[group_of(i)].push_back(layer.log_sigma2[i]);
  }
  ylo = std::floor(ylo) - 1.0;
  yhi = std::ceil(yhi) + 1.0;
  const double a = layer.level, xmax = 1.15 * max_abs(layer.theta, 1.5f * layer.level + 1e-6f);

  report::Plot p(kWidth, kHeight);
  p.title(layer.name + format(": a = %.4f, log T = %g, %.0f of %.0f weights shown", a,
                              layer.log_threshold, double(std::min(n, max_points)), double(n)))
      .xlabel("theta (posterior mean)")
      .ylabel("log sigma^2")
      .x_range(-xmax, xmax)
      .y_range(ylo, yhi)
      .legend(report::Corner::outside_right);
  const char* names[3] = {"pruned (log alpha >= log T)", "kept, snapped to 0",
                          "kept, snapped to +-a"};
  const report::Color colors[3] = {kPruned, kToZero, kToLevel};
  for (int g = 0; g < 3; ++g) {
    report::Style dots;
    dots.color = colors[g];
    dots.marker_size = 4;
    p.scatter(xs[g], ys[g], names[g] + format(": %.1f%%", n ? 100.0 * counts[g] / n : 0.0, 0),
              dots);
  }
  report::Style grid;
  grid.color = report::kBlack;
  grid.dashed = true;
  grid.marker = report::Marker::none;
  grid.width = 1.0;
  for (const double c : {-a, 0.0, a})
    p.line({c, c}, {ylo, yhi}, c == -a ? "codebook values -a, 0, +a" : "", grid);
  report::Style boundary;
  boundary.color = kBoundary;
  boundary.marker = report::Marker::none;
  add_funnel(p, 0.0, layer.log_threshold, ylo, yhi, "pruning boundary (log alpha = log T)",
             boundary);
  boundary.color = kFunnel;
  boundary.dashed = true;
  add_funnel(p, -a, layer.log_threshold, ylo, yhi, "the same curve shifted to -a, +a", boundary);
  add_funnel(p, a, layer.log_threshold, ylo, yhi, "", boundary);
  p.save_png(path);
}

void plot_weight_histogram(const LayerWeights& layer, const std::string& path, int bins) {
  check(bins >= 3 && bins % 2 == 1, "plot_weight_histogram",
        std::to_string(bins) + " bins: need an odd number >= 3 (a bin centred on 0)");
  const double a = layer.level, half = 1.1 * max_abs(layer.theta, 1.1f * layer.level + 1e-6f);
  const double width = 2.0 * half / bins;
  std::vector<double> edges(bins + 1), before(bins, 0.0), after(bins, 0.0);
  for (int k = 0; k <= bins; ++k) edges[k] = -half + k * width;
  const auto bin_of = [&](double v) {
    return std::clamp(static_cast<int>(std::floor((v + half) / width)), 0, bins - 1);
  };
  for (const float theta : layer.theta) before[bin_of(theta)] += 1.0;
  int64_t nonzero = 0;
  for (const int8_t c : layer.codes) {
    after[bin_of(a * c)] += 1.0;
    nonzero += c != 0;
  }
  const double most = std::max(*std::max_element(before.begin(), before.end()),
                               *std::max_element(after.begin(), after.end()));
  const double nonzero_percent = layer.codes.empty() ? 0.0 : 100.0 * nonzero / layer.codes.size();

  report::Plot p(kWidth, kHeight);
  const std::string what =
      layer.theta.empty() ? ": weights after P&Q" : ": weights before and after P&Q";
  p.title(layer.name + what + format(" (a = %.4f, %.1f%% non-zero)", a, nonzero_percent))
      .xlabel("weight value")
      .ylabel("number of weights")
      .x_range(-half, half)
      .y_scale(report::AxisScale::log)
      .y_range(0.5, std::max(2.0, 2.0 * most))
      .legend(report::Corner::outside_right);
  report::Style style;
  style.color = kToZero;
  if (!layer.theta.empty()) p.bars(edges, before, "before: theta (VNQ means)", style);
  style.color = kBoundary;
  style.filled = false;
  style.width = 3.0;
  p.bars(edges, after, "after: a * code, code -1, 0 or +1", style);
  p.save_png(path);
}

}  // namespace trit::quant
