#include "quant/vnq/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "autograd/error.h"
#include "nn/checkpoint.h"
#include "nn/json_checks.h"
#include "nn/models/registry.h"

namespace trit::quant {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VnqSettings, kl_warmup, kl_delay, log_threshold,
                                                shadow_weights, level_init, level_param,
                                                min_level, keep_float, original_error)

VnqConfig VnqSettings::vnq_config() const {
  VnqConfig config;
  config.log_threshold = log_threshold;
  config.shadow_weights = shadow_weights;
  check(level_param == "raw" || level_param == "log", "VNQ settings",
        "level_param \"" + level_param + "\" is not raw or log");
  config.level_param = level_param == "log" ? VnqConfig::LevelParam::kLog
                                            : VnqConfig::LevelParam::kRaw;
  check(min_level > 0.0f, "VNQ settings",
        "min_level " + std::to_string(min_level) + " is not positive");
  config.min_level = min_level;
  using LevelInit = VnqConfig::LevelInit;
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
      nn::check_json_float(settings, key, path + ": VNQ settings");
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
  VnqConfig config = out.settings.vnq_config();
  if (log_threshold) config.log_threshold = *log_threshold;
  out.layers = make_variational(*out.model, config, 0, out.settings.keep_float);
  nn::load_checkpoint(path, *out.model);
  for (const auto& [name, module] : out.model->named_modules())
    if (std::dynamic_pointer_cast<VariationalLayer>(module)) out.names.push_back(name);
  return out;
}

}  // namespace trit::quant
