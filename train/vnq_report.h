// The VNQ paper's results table, evaluated on a dataset's test split.
//
// The rows of the VNQ paper's Table 1 (spec vnq.md §7.2): original model, VNQ means (no P&Q),
// and VNQ + P&Q, each with test error, non-zero weights over the quantised weights, and bits;
// optionally Table 2's "w/o 1" row (first layer left at its float means, quant::
// kFirstLayerFloatRow), and the rows again after BatchNorm re-estimation, labelled so (§8.4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/module.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/variational.h"
#include "train/data.h"

namespace trit::train {

struct ResultRow {
  std::string method;
  double test_error = 0;        // fraction
  double nonzero_fraction = 1;  // over the quantised weights
  int bits = 32;
  int64_t bn_images = 0;  // > 0: BN statistics re-estimated on this many training images
};

// Evaluates the three rows on the test split (modes are restored to kSample afterwards): the
// pre-trained model's row when `original_error` >= 0 (its recorded test error), the means
// and the P&Q rows; with `first_layer_float`, the "w/o 1" row too, before the all-layers
// P&Q row.
std::vector<ResultRow> vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                                 const DataSplits& data, double original_error,
                                 bool first_layer_float = false);
// "<method>, BN re-estimated (<images> train images)": the label of a row whose BN running
// statistics were re-estimated (spec vnq.md §8.4: not the paper's procedure).
std::string bn_reestimated_label(const std::string& method, int64_t images);
// The rows "VNQ (no P&Q)" (, "w/o 1") and "VNQ + P&Q" again, each after re-estimating the
// model's BN statistics for that mode on `images` training images (reestimate_batch_norm).
// The model's running statistics stay re-estimated (for kTernary); modes return to kSample.
std::vector<ResultRow> vnq_bn_reestimated_rows(nn::Module& model,
                                               const quant::VariationalLayers& layers,
                                               const DataSplits& data, int64_t images,
                                               bool first_layer_float = false);
void print_table(const std::vector<ResultRow>& rows);
nlohmann::json table_json(const std::vector<ResultRow>& rows);
// vnq_table then print_table.
void print_vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                     const DataSplits& data, double original_error);

}  // namespace trit::train
