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

void save_checkpoint(const std::string& path, const Module& model,
                     const optim::Optimizer* optimizer, const TrainingState& state) {
  const std::string where = "save_checkpoint: " + path;
  StateDict tensors = model.state_dict();
  if (optimizer != nullptr)
    for (const auto& [name, tensor] : optimizer->state_dict())
      check(tensors.emplace(kOptimizerPrefix + name, tensor).second, where,
            "model tensor name " + kOptimizerPrefix + name + " clashes with the optimiser's");
  Metadata metadata = state.extra;
  for (const char* key : kReservedKeys)
    check(metadata.count(key) == 0, where,
          std::string("extra metadata key ") + key + " is reserved");
  metadata["format"] = kFormat;
  metadata["model"] = model.name();
  metadata["optimizer"] = optimizer != nullptr ? optimizer->kind() : "";
  metadata["config"] = state.config;
  metadata["epoch"] = std::to_string(state.epoch);
  metadata["step"] = std::to_string(state.step);
  metadata["rng"] = rng_state_to_string(state.rng);
  save_safetensors(path, tensors, metadata);
}

TrainingState load_checkpoint(const std::string& path, Module& model, optim::Optimizer* optimizer) {
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
  check(saved_model == model.name(), where,
        "it holds model " + saved_model + ", not " + model.name());
  const std::string& saved_optimizer = metadata_value(metadata, "optimizer", where);
  check_float_tensors(contents, where);
  if (optimizer != nullptr) {
    check(!saved_optimizer.empty(), where,
          "it was saved without optimiser state; load it without an optimiser");
    check(saved_optimizer == optimizer->kind(), where,
          "it holds " + saved_optimizer + " state, but the optimiser is " + optimizer->kind());
  }

  TrainingState state;
  state.config = metadata_value(metadata, "config", where);
  state.epoch = parse_count(metadata, "epoch", where);
  state.step = parse_count(metadata, "step", where);
  state.rng = rng_state_from_string(metadata_value(metadata, "rng", where));
  for (const auto& [key, value] : metadata)
    if (std::find(std::begin(kReservedKeys), std::end(kReservedKeys), key) ==
        std::end(kReservedKeys))
      state.extra[key] = value;

  StateDict model_state, optimizer_state;
  for (auto& [name, tensor] : contents.tensors) {
    if (name.compare(0, kOptimizerPrefix.size(), kOptimizerPrefix) == 0) {
      optimizer_state.emplace(name.substr(kOptimizerPrefix.size()), tensor);
    } else {
      model_state.emplace(name, tensor);
    }
  }
  // Each load checks everything before it changes anything; if the model's fails after
  // the optimiser's succeeded, the optimiser gets its previous state back.
  const StateDict previous = optimizer != nullptr ? optimizer->state_dict() : StateDict();
  if (optimizer != nullptr) optimizer->load_state_dict(optimizer_state);
  try {
    model.load_state_dict(model_state, true);
  } catch (const Error&) {
    if (optimizer != nullptr) optimizer->load_state_dict(previous);
    throw;
  }
  return state;
}

}  // namespace trit::nn
