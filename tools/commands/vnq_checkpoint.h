// What a VNQ checkpoint records beside its tensors, and the paper's results table.
//
// Metadata keys (strings): kind = "vnq", vnq = VnqSettings as JSON. The table has the rows
// of the VNQ paper's Table 1 (spec vnq.md §7.2): original model, VNQ means (no P&Q), and
// VNQ + P&Q, each with test error, non-zero weights over the quantised weights, and bits.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/module.h"
#include "nn/safetensors.h"
#include "quant/vnq_model.h"
#include "tools/trainer.h"

namespace trit::cli {

struct VnqSettings {
  double kl_warmup = 15.0;  // epochs (§4.2)
  double kl_delay = 0.0;
  float log_threshold = 2.0f;  // camera-ready (§5)
  bool shadow_weights = true;  // §4.3
  std::vector<std::string> keep_float;
  double original_error = -1.0;  // the pre-trained model's test error; < 0 if unknown

  quant::VnqConfig vnq_config() const;
  nn::Metadata to_metadata() const;
};

// True when the safetensors file at `path` is a VNQ checkpoint.
bool is_vnq_checkpoint(const nn::Metadata& metadata);
VnqSettings read_vnq_settings(const std::string& path);

struct ResultRow {
  std::string method;
  double test_error = 0;        // fraction
  double nonzero_fraction = 1;  // over the quantised weights
  int bits = 32;
};

// Evaluates the three rows on the test split (modes are restored to kSample afterwards).
std::vector<ResultRow> vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                                 const DataSplits& data, const VnqSettings& settings);
void print_table(const std::vector<ResultRow>& rows);
nlohmann::json table_json(const std::vector<ResultRow>& rows);
// vnq_table then print_table.
void print_vnq_table(nn::Module& model, const quant::VariationalLayers& layers,
                     const DataSplits& data, const VnqSettings& settings);

}  // namespace trit::cli
