// What a VNQ checkpoint records beside its tensors, and how it loads into its model.
//
// Metadata keys (strings): kind = "vnq", vnq = a VnqRecord as JSON (the VnqConfig's
// kl_warmup, kl_delay, log_threshold, shadow_weights, level_init, level_param, min_level,
// keep_float, and original_error; a missing key keeps its default). The table has the rows
// of the VNQ paper's Table 1 (spec vnq.md §7.2): original model, VNQ means (no P&Q), and
// VNQ + P&Q, each with test error, non-zero weights over the quantised weights, and bits;
// optionally Table 2's "w/o 1" row (first layer left at its float means), and the rows again
// after BatchNorm re-estimation, labelled so (§8.4).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/module.h"
#include "nn/safetensors.h"
#include "quant/vnq/model.h"

namespace trit::quant {

// What a VNQ checkpoint records under metadata key "vnq": the config it trains with and the
// pre-trained model's test error (< 0 if unknown). A ternary checkpoint copies it.
struct VnqRecord {
  VnqConfig config;
  double original_error = -1.0;
};

// {kind: "vnq", vnq: record as JSON}.
nn::Metadata vnq_metadata(const VnqRecord& record);
// True when the metadata says kind "vnq".
bool is_vnq_checkpoint(const nn::Metadata& metadata);
// The record of the VNQ checkpoint at `path`; throws Error naming `path` when the file is not
// one or its record is malformed.
VnqRecord read_vnq_record(const std::string& path);
// The record under metadata key "vnq"; throws Error naming `path` when it is missing, is not
// JSON of the keys above, or holds a value out of range (a non-positive min_level, an unknown
// level_init or level_param).
VnqRecord parse_vnq_record(const nn::Metadata& metadata, const std::string& path);

// A VNQ checkpoint loaded into its model: the model with variational layers, those layers
// with their dotted names (model order), and the record it was trained with.
struct VnqModel {
  std::shared_ptr<nn::Module> model;
  VariationalLayers layers;
  std::vector<std::string> names;
  VnqRecord record;
};
// Builds `model_name` (empty: the model the checkpoint records), makes it variational as the
// record's config says and loads the checkpoint. The layers prune at `log_threshold` when
// given, else at the recorded threshold; `record` keeps what the file holds.
VnqModel load_vnq_model(const std::string& path, const std::string& model_name,
                        std::optional<float> log_threshold = std::nullopt);

// Metadata key of a ternary checkpoint whose BN statistics `trit quantize --bn-reestimate`
// re-estimated: the number of training images used, decimal.
inline constexpr char kBnReestimatedKey[] = "bn_reestimated_images";
// That number, 0 when the key is absent; throws Error naming `path` when it is malformed.
int64_t baked_bn_images(const nn::Metadata& metadata, const std::string& path);

// The model name a checkpoint records (metadata "model"); throws Error naming `path` if none.
std::string checkpoint_model(const nn::Metadata& metadata, const std::string& path);

inline constexpr char kOriginalRow[] = "original (pre-trained)";
// The paper's DenseNet row "w/o 1" (spec vnq.md §5 item 4, §7.2): VNQ + P&Q with the first
// variational layer left at its float means; its non-zero share counts the other layers.
inline constexpr char kFirstLayerFloatRow[] = "VNQ + P&Q w/o 1 (first layer float)";

}  // namespace trit::quant
