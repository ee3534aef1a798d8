#include "tools/commands/vnq_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "autograd/error.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "tools/json_checks.h"

namespace trit::cli {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VnqSettings, kl_warmup, kl_delay, log_threshold,
                                                shadow_weights, level_init, level_param,
                                                min_level, keep_float, original_error)

quant::VnqConfig VnqSettings::vnq_config() const {
  quant::VnqConfig config;
  config.log_threshold = log_threshold;
  config.shadow_weights = shadow_weights;
  check(level_param == "raw" || level_param == "log", "VNQ settings",
        "level_param \"" + level_param + "\" is not raw or log");
  config.level_param = level_param == "log" ? quant::VnqConfig::LevelParam::kLog
                                            : quant::VnqConfig::LevelParam::kRaw;
  check(min_level > 0.0f, "VNQ settings",
        "min_level " + std::to_string(min_level) + " is not positive");
  config.min_level = min_level;
  using LevelInit = quant::VnqConfig::LevelInit;
  if (level_init == "ternary-fit") {
    config.level_init = LevelInit::kTernaryFit;
  } else if (level_init != "max-abs") {
    config.level_init = LevelInit::kZeroShare;
    char* end = nullptr;
    config.zero_share = std::strtof(level_init.c_str(), &end);
    check(*end == '\0' && config.zero_share > 0.0f && config.zero_share < 1.0f, "VNQ settings",
          "level_init \"" + level_init + "\" is not max-abs, ternary-fit or a share in (0, 1)");
  }
  return config;
}

nn::Metadata VnqSettings::to_metadata() const {
  return {{"kind", "vnq"}, {"vnq", nlohmann::json(*this).dump()}};
}

bool is_vnq_checkpoint(const nn::Metadata& metadata) {
  const auto kind = metadata.find("kind");
  return kind != metadata.end() && kind->second == "vnq";
}

VnqSettings read_vnq_settings(const std::string& path) {
  const nn::Metadata metadata = nn::load_safetensors(path).metadata;
  check(is_vnq_checkpoint(metadata), path, "not a VNQ checkpoint (metadata kind is not \"vnq\")");
  return parse_vnq_settings(metadata, path);
}

VnqSettings parse_vnq_settings(const nn::Metadata& metadata, const std::string& path) {
  try {
    const nlohmann::json settings = nlohmann::json::parse(metadata.at("vnq"));
    for (const char* key : {"log_threshold", "min_level"})
      check_json_float(settings, key, path + ": VNQ settings");
    return settings.get<VnqSettings>();
  } catch (const std::exception& e) {
    throw Error(path + ": malformed VNQ settings in the metadata: " + e.what());
  }
}

int64_t baked_bn_images(const nn::Metadata& metadata, const std::string& path) {
  const auto entry = metadata.find(kBnReestimatedKey);
  if (entry == metadata.end()) return 0;
  char* end = nullptr;
  const long long images = std::strtoll(entry->second.c_str(), &end, 10);
  check(!entry->second.empty() && *end == '\0' && images > 0, path,
        std::string("metadata ") + kBnReestimatedKey + " \"" + entry->second +
            "\" is not a positive whole number");
  return images;
}

std::string checkpoint_model(const nn::Metadata& metadata, const std::string& path) {
  const auto model = metadata.find("model");
  check(model != metadata.end(), path, "the metadata names no model (use --model)");
  return model->second;
}

VnqModel load_vnq_model(const std::string& path, const std::string& model_name,
                        std::optional<float> log_threshold) {
  const nn::Metadata metadata = nn::load_safetensors(path).metadata;
  check(is_vnq_checkpoint(metadata), path, "not a VNQ checkpoint (metadata kind is not \"vnq\")");
  VnqModel out;
  out.settings = parse_vnq_settings(metadata, path);
  Rng rng(0);
  out.model =
      nn::make_model(model_name.empty() ? checkpoint_model(metadata, path) : model_name, rng);
  quant::VnqConfig config = out.settings.vnq_config();
  if (log_threshold) config.log_threshold = *log_threshold;
  out.layers = quant::make_variational(*out.model, config, 0, out.settings.keep_float);
  nn::load_checkpoint(path, *out.model, nullptr);
  for (const auto& [name, module] : out.model->named_modules())
    if (std::dynamic_pointer_cast<quant::VariationalLayer>(module)) out.names.push_back(name);
  return out;
}

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
                                 const DataSplits& data, const VnqSettings& settings,
                                 bool first_layer_float) {
  std::vector<ResultRow> rows;
  if (settings.original_error >= 0)
    rows.push_back({kOriginalRow, settings.original_error, 1.0, 32});
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
                     const DataSplits& data, const VnqSettings& settings) {
  print_table(vnq_table(model, layers, data, settings));
}

}  // namespace trit::cli
