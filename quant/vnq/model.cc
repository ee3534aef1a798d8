#include "quant/vnq/model.h"

#include <algorithm>
#include <set>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "nn/conv2d.h"
#include "nn/linear.h"

namespace trit::quant {
namespace {

// The variational twin of `layer`, or null if it is not a Linear/Conv2d.
std::shared_ptr<VariationalLayer> twin(const nn::Module& layer, const VnqConfig& config,
                                       uint64_t seed) {
  std::shared_ptr<VariationalLayer> out;
  Tensor weight, bias;
  if (const auto* linear = dynamic_cast<const nn::Linear*>(&layer)) {
    weight = linear->weight();
    bias = linear->bias();
    out = std::make_shared<VariationalLinear>(weight.size(1), weight.size(0), bias.defined(),
                                              config, seed);
  } else if (const auto* conv = dynamic_cast<const nn::Conv2d*>(&layer)) {
    weight = conv->weight();
    bias = conv->bias();
    out = std::make_shared<VariationalConv2d>(weight.size(1) * conv->options().groups,
                                              weight.size(0), weight.size(2), conv->options(),
                                              bias.defined(), config, seed);
  } else {
    return nullptr;
  }
  NoGradGuard no_grad;
  Tensor theta = out->theta();
  std::copy(weight.data(), weight.data() + weight.numel(), theta.data());
  if (bias.defined()) {
    Tensor own_bias = out->bias();
    std::copy(bias.data(), bias.data() + bias.numel(), own_bias.data());
  }
  out->init_level_from_weights();
  return out;
}

bool is_plain_layer(const nn::Module& module) {
  return dynamic_cast<const nn::Linear*>(&module) != nullptr ||
         dynamic_cast<const nn::Conv2d*>(&module) != nullptr;
}

// Throws unless every name in `keep_float` is the path of a Linear or Conv2d of `model`.
void check_keep_float(const nn::Module& model, const std::set<std::string>& keep_float) {
  std::vector<std::string> layers;  // in model order
  for (const auto& [name, module] : model.named_modules())
    if (is_plain_layer(*module)) layers.push_back(name);
  for (const std::string& name : keep_float)
    check(std::find(layers.begin(), layers.end(), name) != layers.end(), "make_variational",
          "keep-float name '" + name + "' is not a Linear or Conv2d layer of model " +
              model.name() + (layers.empty() ? "" : " (the first is '" + layers.front() + "')"));
}

void convert_children(nn::Module& parent, const std::string& prefix, const VnqConfig& config,
                      uint64_t seed, const std::set<std::string>& keep_float,
                      VariationalLayers& layers) {
  const nn::Module::NamedModules children = parent.children();  // a copy: we replace
  for (const auto& [name, child] : children) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (keep_float.count(path)) continue;
    if (auto variational = twin(*child, config, seed + layers.size() + 1)) {
      parent.replace_child(name, variational);
      layers.push_back(variational);
    } else {
      convert_children(*child, path, config, seed, keep_float, layers);
    }
  }
}

}  // namespace

VariationalLayers make_variational(nn::Module& model, const VnqConfig& config, uint64_t seed) {
  VariationalLayers layers;
  const std::set<std::string> keep(config.keep_float.begin(), config.keep_float.end());
  check_keep_float(model, keep);
  convert_children(model, "", config, seed, keep, layers);
  check(!layers.empty(), "make_variational",
        "model " + model.name() + " has no Linear or Conv2d layer to make variational");
  return layers;
}

VariationalLayers find_variational(const nn::Module& model) {
  VariationalLayers layers;
  for (const auto& [name, module] : model.named_modules())
    if (auto layer = std::dynamic_pointer_cast<VariationalLayer>(module)) layers.push_back(layer);
  return layers;
}

Tensor total_kl(const VariationalLayers& layers, float weight) {
  Tensor total;
  for (const auto& layer : layers)
    total = total.defined() ? total + layer->kl(weight) : layer->kl(weight);
  return total;
}

float kl_weight(double progress, double warmup, double delay) {
  if (progress <= delay) return 0.0f;
  if (warmup <= 0.0) return 1.0f;
  return static_cast<float>(std::min(1.0, (progress - delay) / warmup));
}

std::vector<optim::ParamGroup> vnq_param_groups(const nn::Module& model,
                                                const VariationalLayers& layers,
                                                float level_scale, float log_sigma2_scale) {
  const bool own_sigma_group = log_sigma2_scale != 1.0f;
  optim::ParamGroup main_group, level_group, sigma_group;
  level_group.lr_scale = level_scale;
  sigma_group.lr_scale = log_sigma2_scale;
  for (const auto& layer : layers) {
    level_group.params.push_back(layer->level());
    if (own_sigma_group) sigma_group.params.push_back(layer->log_sigma2());
  }
  for (const Tensor& p : model.parameters()) {
    const bool grouped = std::any_of(layers.begin(), layers.end(), [&](const auto& l) {
      return l->level().is_same(p) || (own_sigma_group && l->log_sigma2().is_same(p));
    });
    if (!grouped) main_group.params.push_back(p);
  }
  if (!own_sigma_group) return {main_group, level_group};
  return {main_group, level_group, sigma_group};
}

void set_mode(const VariationalLayers& layers, VnqMode mode) {
  for (const auto& layer : layers) layer->set_mode(mode);
}

void project(const VariationalLayers& layers) {
  for (const auto& layer : layers) layer->project();
}

CompressionStats compression_stats(const VariationalLayers& layers) {
  CompressionStats stats;
  for (const auto& layer : layers) {
    const std::vector<int8_t> codes = layer->ternary_codes();
    stats.weights += static_cast<int64_t>(codes.size());
    stats.nonzero += std::count_if(codes.begin(), codes.end(), [](int8_t c) { return c != 0; });
  }
  return stats;
}

}  // namespace trit::quant
