#include "train/vnq_report.h"

#include <algorithm>
#include <cstdio>

#include "autograd/error.h"
#include "train/evaluate.h"

namespace trit::train {

using quant::kFirstLayerFloatRow;
using quant::kOriginalRow;

namespace {

// The means and P&Q rows (with `first_layer_float`, the "w/o 1" row between them), each
// evaluated in its mode after re-estimating the BN statistics on `bn_images` training images
// when that is > 0.
std::vector<ResultRow> mode_rows(nn::Module& model, const quant::VariationalLayers& layers,
                                 const DataSplits& data, int64_t bn_images,
                                 bool first_layer_float) {
  // every layer in `mode`, but the first at its float means when `first_float`
  const auto row_in = [&](quant::VnqMode mode, bool first_float, const std::string& method,
                          double nonzero, int bits) {
    quant::set_mode(layers, mode);
    if (first_float) layers.front()->set_mode(quant::VnqMode::kMeans);
    if (bn_images > 0) reestimate_batch_norm(model, data, bn_images);
    const double error = 1.0 - evaluate_accuracy(model, data.test, data.normalization);
    return ResultRow{bn_images > 0 ? bn_reestimated_label(method, bn_images) : method, error,
                     nonzero, bits, bn_images};
  };
  std::vector<ResultRow> rows;
  rows.push_back(row_in(quant::VnqMode::kMeans, false, "VNQ (no P&Q)", 1.0, 32));
  if (first_layer_float && layers.size() > 1) {
    const quant::VariationalLayers quantised(layers.begin() + 1, layers.end());
    rows.push_back(row_in(quant::VnqMode::kTernary, true, kFirstLayerFloatRow,
                          quant::compression_stats(quantised).nonzero_fraction(), 2));
  }
  const quant::CompressionStats stats = quant::compression_stats(layers);
  rows.push_back(
      row_in(quant::VnqMode::kTernary, false, "VNQ + P&Q", stats.nonzero_fraction(), 2));
  quant::set_mode(layers, quant::VnqMode::kSample);
  return rows;
}

}  // namespace

std::vector<ResultRow> vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                                 const DataSplits& data, double original_error,
                                 bool first_layer_float) {
  std::vector<ResultRow> rows;
  if (original_error >= 0) rows.push_back({kOriginalRow, original_error, 1.0, 32});
  for (ResultRow& row : mode_rows(model, layers, data, 0, first_layer_float))
    rows.push_back(std::move(row));
  return rows;
}

std::string bn_reestimated_label(const std::string& method, int64_t images) {
  return method + ", BN re-estimated (" + std::to_string(images) + " train images)";
}

std::vector<ResultRow> vnq_bn_reestimated_rows(nn::Module& model,
                                               const quant::VariationalLayers& layers,
                                               const DataSplits& data, int64_t images,
                                               bool first_layer_float) {
  check(images > 0, "BN re-estimation", "needs at least one training image");
  return mode_rows(model, layers, data, std::min(images, data.train.size()), first_layer_float);
}

void print_table(const std::vector<ResultRow>& rows) {
  int width = 24;
  for (const ResultRow& row : rows) width = std::max(width, static_cast<int>(row.method.size()));
  std::printf("%-*s %8s %10s %5s\n", width, "method", "error", "|w!=0|/|w|", "bits");
  for (const ResultRow& row : rows)
    std::printf("%-*s %7.2f%% %9.1f%% %5d\n", width, row.method.c_str(), 100 * row.test_error,
                100 * row.nonzero_fraction, row.bits);
}

nlohmann::json table_json(const std::vector<ResultRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const ResultRow& row : rows)
    out.push_back({{"method", row.method},
                   {"test_error", row.test_error},
                   {"nonzero_fraction", row.nonzero_fraction},
                   {"bits", row.bits},
                   {"bn_reestimated_images", row.bn_images}});
  return out;
}

void print_vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                     const DataSplits& data, double original_error) {
  print_table(vnq_table(model, layers, data, original_error));
}

}  // namespace trit::train
