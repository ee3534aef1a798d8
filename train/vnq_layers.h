// The VNQ table broken down by layer: where each layer's weights sit relative to its funnels
// (quant::LayerStats) and what pruning and quantising that one layer costs on the test split.
//
// The single-layer error is the test error with that layer in kTernary and every other at
// its means (kMeans), BN statistics as trained: the difference to the means row is what P&Q
// of this layer alone costs. Summed over layers these costs need not add up to the P&Q row's
// (layers interact), but they say which layers the gap comes from.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/module.h"
#include "quant/vnq/layer_stats.h"
#include "quant/vnq/model.h"
#include "train/data.h"

namespace trit::train {

struct LayerRow {
  std::string name;
  quant::LayerStats stats;
  double error_alone = -1;  // test error with only this layer P&Q'd; -1: not evaluated
};

// One row per layer (names[i] names layers[i]). With `errors`, each row's error_alone is
// evaluated on data.test (one test pass per layer); modes return to kSample afterwards.
std::vector<LayerRow> vnq_layer_rows(nn::Module& model, const quant::VariationalLayers& layers,
                                     const std::vector<std::string>& names,
                                     const DataSplits& data, bool errors);
void print_layer_table(const std::vector<LayerRow>& rows);
nlohmann::json layer_table_json(const std::vector<LayerRow>& rows);

// The share of all variational layers' weights outside every funnel (weighted by layer size).
double outside_funnels(const quant::VariationalLayers& layers);

}  // namespace trit::train
