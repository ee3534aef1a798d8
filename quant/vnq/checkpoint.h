// What a VNQ checkpoint records beside its tensors, and how it loads into its model.
//
// Metadata keys (strings): kind = "vnq", vnq = VnqSettings as JSON. The table has the rows
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

struct VnqSettings {
  double kl_warmup = 15.0;  // epochs (§4.2)
  double kl_delay = 0.0;
  float log_threshold = 2.0f;  // camera-ready (§5)
  bool shadow_weights = true;  // §4.3
  // §2.1: "max-abs" | "ternary-fit" | a share Q in (0, 1) of weights starting in the zero funnel
  std::string level_init = "max-abs";
  std::string level_param = "raw";  // §2.1 [R]: "raw" (train a) | "log" (train log a)
  float min_level = 0.05f;          // a >= min_level (§2.1 [M])
  std::vector<std::string> keep_float;
  double original_error = -1.0;  // the pre-trained model's test error; < 0 if unknown

  VnqConfig vnq_config() const;
  nn::Metadata to_metadata() const;
};

// True when the safetensors file at `path` is a VNQ checkpoint.
bool is_vnq_checkpoint(const nn::Metadata& metadata);
VnqSettings read_vnq_settings(const std::string& path);
// The settings JSON under metadata key "vnq" (a ternary checkpoint copies it); throws Error
// naming `path` when it is missing or malformed.
VnqSettings parse_vnq_settings(const nn::Metadata& metadata, const std::string& path);

// A VNQ checkpoint loaded into its model: the model with variational layers, those layers
// with their dotted names (model order), and the settings it was trained with.
struct VnqModel {
  std::shared_ptr<nn::Module> model;
  VariationalLayers layers;
  std::vector<std::string> names;
  VnqSettings settings;
};
// Builds `model_name` (empty: the model the checkpoint records), makes it variational as the
// settings say and loads the checkpoint. The layers prune at `log_threshold` when given,
// else at the settings' threshold; `settings` keeps what the file holds.
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
