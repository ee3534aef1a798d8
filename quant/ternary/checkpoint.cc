#include "quant/ternary/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "autograd/error.h"
#include "nn/checkpoint.h"
#include "quant/ternary/layers.h"

namespace trit::quant {
namespace {

const std::string kCodes = ".codes", kLevel = ".level";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The packed weights of layer `name` from the file: codes [rows, bytes per row] U8 and level
// [1], sized for `layer` (a float Linear/Conv2d), validated.
PackedTernary read_packed(const nn::SafetensorsContents& contents, const std::string& name,
                          const nn::Module& layer, const std::string& where) {
  const Tensor codes = contents.tensors.at(name + kCodes);
  check(contents.dtypes.at(name + kCodes) == nn::DType::kU8, where,
        name + kCodes + " is " + nn::dtype_name(contents.dtypes.at(name + kCodes)) +
            ", packed codes must be U8");
  const auto level = contents.tensors.find(name + kLevel);
  check(level != contents.tensors.end(), where, name + kCodes + " has no " + name + kLevel);
  check(level->second.shape() == Shape{1}, where,
        name + kLevel + " has shape " + to_string(level->second.shape()) + ", expected [1]");
  const nn::StateDict state = layer.state_dict();
  const auto weight = state.find("weight");
  check(weight != state.end() && weight->second.dim() >= 2, where,
        name + kCodes + " belongs to " + layer.repr() + ", not a Linear or Conv2d layer");
  PackedTernary packed;
  packed.rows = weight->second.size(0);
  packed.cols = weight->second.numel() / std::max<int64_t>(packed.rows, 1);
  packed.level = level->second.item();
  const Shape expected{packed.rows, ternary_bytes_per_row(packed.cols)};
  check(codes.shape() == expected, where,
        name + kCodes + " has shape " + to_string(codes.shape()) + " but " + layer.repr() +
            " with weight " + to_string(weight->second.shape()) + " needs " + to_string(expected));
  packed.bytes.assign(codes.data(), codes.data() + codes.numel());  // U8 values, exact in float
  validate_ternary(packed, (where + ": " + name).c_str());
  return packed;
}

}  // namespace

bool is_ternary_checkpoint(const nn::Metadata& metadata) {
  const auto kind = metadata.find("kind");
  return kind != metadata.end() && kind->second == kTernaryKind;
}

void save_ternary_checkpoint(const std::string& path, const nn::Module& model,
                             const nn::Metadata& extra) {
  const std::string where = "save_ternary_checkpoint: " + path;
  const auto layers = find_ternary(model);
  check(!layers.empty(), where, "model " + model.name() + " has no ternary layer");
  nn::StateDict tensors = model.state_dict();
  std::map<std::string, nn::DType> dtypes;
  for (const auto& [name, layer] : layers) {
    const PackedTernary& w = layer->weights();
    Tensor codes = Tensor::empty({w.rows, ternary_bytes_per_row(w.cols)});
    std::copy(w.bytes.begin(), w.bytes.end(), codes.data());
    const bool fresh = tensors.emplace(name + kCodes, codes).second &&
                       tensors.emplace(name + kLevel, Tensor::full({1}, w.level)).second;
    check(fresh, where, "a model tensor is named like " + name + "'s codes or level");
    dtypes[name + kCodes] = nn::DType::kU8;
  }
  nn::Metadata metadata = extra;
  check(!metadata.count("kind") && !metadata.count("model"), where,
        "extra metadata may not set kind or model");
  metadata["kind"] = kTernaryKind;
  metadata["model"] = model.name();
  nn::save_safetensors(path, tensors, metadata, dtypes);
}

nn::Metadata load_ternary_checkpoint(const std::string& path, nn::Module& model) {
  const std::string where = "load_ternary_checkpoint: " + path;
  nn::SafetensorsContents contents = nn::load_safetensors(path);
  check(is_ternary_checkpoint(contents.metadata), where,
        "not a ternary checkpoint (metadata kind is not \"ternary\")");
  const auto model_name = contents.metadata.find("model");
  check(model_name != contents.metadata.end() && model_name->second == model.name(), where,
        "holds model '" + (model_name == contents.metadata.end() ? "" : model_name->second) +
            "', not '" + model.name() + "'");
  std::set<std::string> packed_codes;  // U8 by design; everything else is floating point
  for (const auto& entry : contents.tensors)
    if (ends_with(entry.first, kCodes)) packed_codes.insert(entry.first);
  nn::check_float_tensors(contents, where, packed_codes);

  // Build every twin first: nothing in the model changes until all codes are valid.
  std::map<std::string, std::shared_ptr<nn::Module>> twins, originals;
  for (const auto& [name, module] : model.named_modules()) {
    if (!contents.tensors.count(name + kCodes)) continue;
    twins[name] = ternary_twin(*module, read_packed(contents, name, *module, where), where);
    check(twins[name] != nullptr, where,
          name + kCodes + " belongs to " + module->repr() + ", not a Linear or Conv2d layer");
    originals[name] = module;
  }
  for (const auto& [name, tensor] : contents.tensors) {
    if (!ends_with(name, kCodes)) continue;
    const std::string layer = name.substr(0, name.size() - kCodes.size());
    check(twins.count(layer) != 0, where,
          "unexpected tensor " + name + ": model " + model.name() + " has no layer " + layer);
  }
  for (const auto& [name, twin] : twins) {
    contents.tensors.erase(name + kCodes);
    contents.tensors.erase(name + kLevel);
  }

  const auto swap_in = [](const std::map<std::string, std::shared_ptr<nn::Module>>& by_path) {
    return [&by_path](const std::string& path, const nn::Module&) {
      const auto it = by_path.find(path);
      return it == by_path.end() ? nullptr : it->second;
    };
  };
  replace_layers(model, swap_in(twins));
  try {
    model.load_state_dict(contents.tensors);  // checks everything before copying
  } catch (const Error& e) {
    replace_layers(model, swap_in(originals));
    throw Error(where + ": " + e.what());
  }
  return contents.metadata;
}

}  // namespace trit::quant
