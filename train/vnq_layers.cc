#include "train/vnq_layers.h"

#include <algorithm>
#include <cstdio>

#include "autograd/error.h"
#include "train/evaluate.h"

namespace trit::train {

std::vector<LayerRow> vnq_layer_rows(nn::Module& model, const quant::VariationalLayers& layers,
                                     const std::vector<std::string>& names,
                                     const DataSplits& data, bool errors) {
  check(names.size() == layers.size(), "vnq_layer_rows",
        std::to_string(names.size()) + " names for " + std::to_string(layers.size()) + " layers");
  std::vector<LayerRow> rows;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerRow row{names[i], quant::layer_stats(quant::layer_weights(names[i], *layers[i]))};
    if (errors) {
      quant::set_mode(layers, quant::VnqMode::kMeans);
      layers[i]->set_mode(quant::VnqMode::kTernary);
      row.error_alone = 1.0 - evaluate_accuracy(model, data.test, data.normalization);
    }
    rows.push_back(std::move(row));
  }
  quant::set_mode(layers, quant::VnqMode::kSample);
  return rows;
}

void print_layer_table(const std::vector<LayerRow>& rows) {
  int width = 5;
  for (const LayerRow& row : rows) width = std::max(width, static_cast<int>(row.name.size()));
  std::printf("%-*s %8s %7s %7s %7s %7s %7s %8s %8s %8s %8s\n", width, "layer", "weights",
              "a", "pruned", "in +-a", "outside", "|w!=0|", "d/sigma", "d90", "logalpha",
              "alone");
  for (const LayerRow& row : rows) {
    const quant::LayerStats& s = row.stats;
    std::printf("%-*s %8lld %7.4f %6.1f%% %6.1f%% %6.1f%% %6.1f%% %8.2f %8.2f %8.2f", width,
                row.name.c_str(), static_cast<long long>(s.weights), s.level,
                100 * s.in_zero_funnel, 100 * s.in_level_funnels, 100 * s.outside_funnels,
                100 * s.nonzero, s.distance_median, s.distance_p90, s.log_alpha_median);
    if (row.error_alone >= 0)
      std::printf(" %7.2f%%\n", 100 * row.error_alone);
    else
      std::printf(" %8s\n", "-");
  }
  std::printf(
      "pruned: inside the zero funnel (log alpha >= log T); in +-a: inside the funnel of -a or "
      "+a; d/sigma, d90: median and 90th percentile of |theta - nearest codebook value| / sigma; "
      "logalpha: median; alone: test error with only this layer pruned and quantised\n");
}

nlohmann::json layer_table_json(const std::vector<LayerRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const LayerRow& row : rows) {
    const quant::LayerStats& s = row.stats;
    nlohmann::json line = {{"layer", row.name},
                           {"weights", s.weights},
                           {"level", s.level},
                           {"in_zero_funnel", s.in_zero_funnel},
                           {"in_level_funnels", s.in_level_funnels},
                           {"outside_funnels", s.outside_funnels},
                           {"nonzero_fraction", s.nonzero},
                           {"distance_median", s.distance_median},
                           {"distance_p90", s.distance_p90},
                           {"log_alpha_p10", s.log_alpha_p10},
                           {"log_alpha_median", s.log_alpha_median},
                           {"log_alpha_p90", s.log_alpha_p90},
                           {"relative_error", s.relative_error}};
    if (row.error_alone >= 0) line["test_error_alone"] = row.error_alone;
    out.push_back(std::move(line));
  }
  return out;
}

double outside_funnels(const quant::VariationalLayers& layers) {
  double outside = 0;
  int64_t weights = 0;
  for (const auto& layer : layers) {
    const quant::LayerStats s = quant::layer_stats(quant::layer_weights("", *layer));
    outside += s.outside_funnels * s.weights;
    weights += s.weights;
  }
  return weights ? outside / weights : 0.0;
}

}  // namespace trit::train
