#include "quant/vnq/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "autograd/error.h"
#include "nn/checkpoint.h"
#include "nn/json_checks.h"
#include "nn/models/registry.h"

namespace trit::quant {

namespace {

nlohmann::json to_json(const VnqRecord& record) {
  const VnqConfig& c = record.config;
  return {{"kl_warmup", c.kl_warmup},
          {"kl_delay", c.kl_delay},
          {"log_threshold", c.log_threshold},
          {"shadow_weights", c.shadow_weights},
          {"level_init", level_init_text(c)},
          {"level_param", level_param_text(c.level_param)},
          {"min_level", c.min_level},
          {"log_sigma2_lr_scale", c.log_sigma2_lr_scale},
          {"keep_float", c.keep_float},
          {"original_error", record.original_error}};
}

}  // namespace

nn::Metadata vnq_metadata(const VnqRecord& record) {
  return {{"kind", "vnq"}, {"vnq", to_json(record).dump()}};
}

bool is_vnq_checkpoint(const nn::Metadata& metadata) {
  const auto kind = metadata.find("kind");
  return kind != metadata.end() && kind->second == "vnq";
}

VnqRecord read_vnq_record(const std::string& path) {
  const nn::Metadata metadata = nn::load_safetensors(path).metadata;
  check(is_vnq_checkpoint(metadata), path, "not a VNQ checkpoint (metadata kind is not \"vnq\")");
  return parse_vnq_record(metadata, path);
}

VnqRecord parse_vnq_record(const nn::Metadata& metadata, const std::string& path) {
  VnqRecord record;
  VnqConfig& c = record.config;
  std::string level_init, level_param;
  try {
    const nlohmann::json json = nlohmann::json::parse(metadata.at("vnq"));
    for (const char* key : {"log_threshold", "min_level", "log_sigma2_lr_scale"})
      nn::check_json_float(json, key, path + ": VNQ settings");
    c.kl_warmup = json.value("kl_warmup", c.kl_warmup);
    c.kl_delay = json.value("kl_delay", c.kl_delay);
    c.log_threshold = json.value("log_threshold", c.log_threshold);
    c.shadow_weights = json.value("shadow_weights", c.shadow_weights);
    level_init = json.value("level_init", level_init_text(c));
    level_param = json.value("level_param", level_param_text(c.level_param));
    c.min_level = json.value("min_level", c.min_level);
    c.log_sigma2_lr_scale = json.value("log_sigma2_lr_scale", c.log_sigma2_lr_scale);
    c.keep_float = json.value("keep_float", c.keep_float);
    record.original_error = json.value("original_error", record.original_error);
  } catch (const std::exception& e) {
    throw Error(path + ": malformed VNQ settings in the metadata: " + e.what());
  }
  const std::string where = path + ": VNQ settings";
  set_level_init(c, level_init, where);
  c.level_param = parse_level_param(level_param, where);
  check(c.min_level > 0.0f, where, "min_level " + std::to_string(c.min_level) + " is not positive");
  check(c.log_sigma2_lr_scale > 0.0f, where,
        "log_sigma2_lr_scale " + std::to_string(c.log_sigma2_lr_scale) + " is not positive");
  return record;
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
  out.record = parse_vnq_record(metadata, path);
  Rng rng(0);
  out.model =
      nn::make_model(model_name.empty() ? checkpoint_model(metadata, path) : model_name, rng);
  VnqConfig config = out.record.config;
  if (log_threshold) config.log_threshold = *log_threshold;
  out.layers = make_variational(*out.model, config, 0);
  nn::load_checkpoint(path, *out.model);
  for (const auto& [name, module] : out.model->named_modules())
    if (std::dynamic_pointer_cast<VariationalLayer>(module)) out.names.push_back(name);
  return out;
}

}  // namespace trit::quant
