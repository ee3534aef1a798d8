#include "nn/checkpoint.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "autograd/error.h"

namespace trit::nn {
namespace {

const char kFormat[] = "trit-checkpoint-1";
const std::string kOptimizerPrefix = "optimizer.";
const char* const kReservedKeys[] = {"format", "model", "optimizer", "config",
                                     "epoch",  "step",  "rng"};

int64_t parse_count(const Metadata& metadata, const std::string& key, const std::string& where) {
  const auto it = metadata.find(key);
  check(it != metadata.end(), where, "the metadata has no " + key);
  const std::string& text = it->second;
  check(!text.empty() && text.size() < 19 &&
            text.find_first_not_of("0123456789") == std::string::npos,
        where, "metadata " + key + " = \"" + text + "\" is not a count");
  return std::stoll(text);
}

const std::string& metadata_value(const Metadata& metadata, const std::string& key,
                                  const std::string& where) {
  const auto it = metadata.find(key);
  check(it != metadata.end(), where, "the metadata has no " + key + " (not a trit checkpoint?)");
  return it->second;
}

}  // namespace

void check_float_tensors(const SafetensorsContents& contents, const std::string& where,
                         const std::set<std::string>& skip) {
  for (const auto& [name, tensor] : contents.tensors) {
    if (skip.count(name)) continue;
    const DType dtype = contents.dtypes.at(name);
    check(dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16 ||
              dtype == DType::kF64,
          where,
          "tensor " + name + " is stored as " + dtype_name(dtype) +
              "; model and optimiser values are floating point (F32, or F16/BF16/F64)");
    const float* values = tensor.data();
    for (int64_t i = 0; i < tensor.numel(); ++i)
      check(std::isfinite(values[i]), where,
            "tensor " + name + " holds " + std::to_string(values[i]) + " at element " +
                std::to_string(i) + " (a damaged or diverged checkpoint)");
  }
}

std::string rng_state_to_string(const Rng::State& state) {
  std::string out;
  for (uint64_t word : state) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, word);
    out += (out.empty() ? "" : ":") + std::string(hex);
  }
  return out;
}

Rng::State rng_state_from_string(const std::string& text) {
  check(text.size() == 4 * 16 + 3, "rng_state_from_string",
        "\"" + text + "\" is not four ':'-separated 16-digit hex words");
  Rng::State state{};
  for (size_t w = 0; w < 4; ++w) {
    const std::string word = text.substr(w * 17, 16);
    const bool separated = w == 3 || text[w * 17 + 16] == ':';
    check(separated && word.find_first_not_of("0123456789abcdef") == std::string::npos,
          "rng_state_from_string", "\"" + text + "\" is not four ':'-separated 16-digit hex words");
    state[w] = std::stoull(word, nullptr, 16);
  }
  return state;
}

void save_checkpoint(const std::string& path, const Module& model, const TrainingState& state,
                     const std::string& optimizer_kind, const StateDict& optimizer_state) {
  write_checkpoint(path, model.name(),
                   {state, optimizer_kind, model.state_dict(), optimizer_state});
}

void write_checkpoint(const std::string& path, const std::string& model_name,
                      const CheckpointContents& contents) {
  const std::string where = "save_checkpoint: " + path;
  StateDict tensors = contents.model_state;
  for (const auto& [name, tensor] : contents.optimizer_state)
    check(tensors.emplace(kOptimizerPrefix + name, tensor).second, where,
          "model tensor name " + kOptimizerPrefix + name + " clashes with the optimiser's");
  const TrainingState& state = contents.state;
  Metadata metadata = state.extra;
  for (const char* key : kReservedKeys)
    check(metadata.count(key) == 0, where,
          std::string("extra metadata key ") + key + " is reserved");
  metadata["format"] = kFormat;
  metadata["model"] = model_name;
  metadata["optimizer"] = contents.optimizer;
  metadata["config"] = state.config;
  metadata["epoch"] = std::to_string(state.epoch);
  metadata["step"] = std::to_string(state.step);
  metadata["rng"] = rng_state_to_string(state.rng);
  save_safetensors(path, tensors, metadata);
}

CheckpointContents read_checkpoint(const std::string& path, const std::string& model_name) {
  const std::string where = "load_checkpoint: " + path;
  SafetensorsContents contents = load_safetensors(path);
  const Metadata& metadata = contents.metadata;
  const auto kind = metadata.find("kind");  // e.g. a ternary checkpoint: not for this loader
  check(metadata.count("format") || kind == metadata.end(), where,
        "a " + (kind == metadata.end() ? std::string() : kind->second) +
            " checkpoint, not a model checkpoint (its metadata has no format)");
  const std::string& format = metadata_value(metadata, "format", where);
  check(format == kFormat, where, "unknown checkpoint format \"" + format + "\"");
  const std::string& saved_model = metadata_value(metadata, "model", where);
  check(saved_model == model_name, where,
        "it holds model " + saved_model + ", not " + model_name);
  check_float_tensors(contents, where);

  CheckpointContents out;
  out.optimizer = metadata_value(metadata, "optimizer", where);
  out.state.config = metadata_value(metadata, "config", where);
  out.state.epoch = parse_count(metadata, "epoch", where);
  out.state.step = parse_count(metadata, "step", where);
  out.state.rng = rng_state_from_string(metadata_value(metadata, "rng", where));
  for (const auto& [key, value] : metadata)
    if (std::find(std::begin(kReservedKeys), std::end(kReservedKeys), key) ==
        std::end(kReservedKeys))
      out.state.extra[key] = value;
  for (auto& [name, tensor] : contents.tensors) {
    if (name.compare(0, kOptimizerPrefix.size(), kOptimizerPrefix) == 0) {
      out.optimizer_state.emplace(name.substr(kOptimizerPrefix.size()), tensor);
    } else {
      out.model_state.emplace(name, tensor);
    }
  }
  return out;
}

TrainingState load_checkpoint(const std::string& path, Module& model) {
  CheckpointContents contents = read_checkpoint(path, model.name());
  model.load_state_dict(contents.model_state, true);
  return contents.state;
}

}  // namespace trit::nn
