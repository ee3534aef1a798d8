#include "quant/ternary/layers.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "quant/ternary/ops.h"

namespace trit::quant {
namespace {

std::string size_text(int64_t rows, int64_t cols) {
  return "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
}


}  // namespace

TernaryLayer::TernaryLayer(std::string type, PackedTernary weights, const Tensor& bias)
    : nn::Module(std::move(type)), weights_(std::move(weights)) {
  validate_ternary(weights_, "TernaryLayer");
  sparse_ = kernels::sparse_ternary(weights_.bytes.data(), weights_.rows, weights_.cols,
                                    ternary_bytes_per_row(weights_.cols));
  if (bias.defined()) {
    check(bias.dim() == 1 && bias.size(0) == weights_.rows, "TernaryLayer",
          "bias " + to_string(bias.shape()) + " does not match weight " +
              size_text(weights_.rows, weights_.cols));
    bias_ = register_buffer("bias", bias.clone());
  }
}

TernaryLinear::TernaryLinear(PackedTernary weights, const Tensor& bias)
    : TernaryLayer("TernaryLinear", std::move(weights), bias) {}

Tensor TernaryLinear::forward(const Tensor& x) {
  return ternary_linear(x, weights(), bias(), &sparse());
}

std::string TernaryLinear::repr() const {
  return "TernaryLinear(" + std::to_string(weights().cols) + ", " + std::to_string(weights().rows) +
         ")";
}

TernaryConv2d::TernaryConv2d(PackedTernary weights, int64_t in_channels, int64_t kernel,
                             const Conv2dOptions& options, const Tensor& bias)
    : TernaryLayer("TernaryConv2d", std::move(weights), bias),
      in_channels_(in_channels),
      kernel_(kernel),
      options_(options) {
  check(options.groups == 1, "TernaryConv2d",
        "groups " + std::to_string(options.groups) + ": the packed convolution has groups 1");
  check(in_channels * kernel * kernel == this->weights().cols, "TernaryConv2d",
        std::to_string(in_channels) + " channels with a " + std::to_string(kernel) + "x" +
            std::to_string(kernel) + " kernel need " +
            std::to_string(in_channels * kernel * kernel) + " weight columns, weight has " +
            std::to_string(this->weights().cols));
}

Tensor TernaryConv2d::forward(const Tensor& x) {
  if (recording_) {
    const float* values = x.data();
    for (int64_t i = 0; i < x.numel(); ++i)
      input_range_ = std::max(input_range_, std::fabs(values[i]));
  }
  return ternary_conv2d(x, weights(), kernel_, options_.stride, options_.padding, bias(),
                        &sparse(), activation_scale_);
}

void TernaryConv2d::set_activation_scale(float scale) {
  check(scale >= 0 && std::isfinite(scale), "TernaryConv2d",
        "activation scale " + std::to_string(scale) + " is not a finite scale >= 0");
  activation_scale_ = scale;
}

void TernaryConv2d::record_input_range(bool on) {
  if (on && !recording_) input_range_ = 0.0f;
  recording_ = on;
}

std::string TernaryConv2d::repr() const {
  return "TernaryConv2d(" + std::to_string(in_channels_) + ", " + std::to_string(weights().rows) +
         ", kernel=" + std::to_string(kernel_) + ")";
}

std::vector<std::string> replace_layers(nn::Module& model, const TwinFunction& twin) {
  std::vector<std::string> replaced;
  const std::function<void(nn::Module&, const std::string&)> walk = [&](nn::Module& parent,
                                                                        const std::string& prefix) {
    const nn::Module::NamedModules children = parent.children();  // a copy: we replace
    for (const auto& [name, child] : children) {
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      if (std::shared_ptr<nn::Module> replacement = twin(path, *child)) {
        parent.replace_child(name, std::move(replacement));
        replaced.push_back(path);
      } else {
        walk(*child, path);
      }
    }
  };
  walk(model, "");
  return replaced;
}

std::shared_ptr<TernaryLayer> ternary_twin(const FloatLayer& layer, PackedTernary weights,
                                           const std::string& where) {
  const Tensor& weight = layer.weight;
  const int64_t rows = weight.size(0), cols = weight.numel() / std::max<int64_t>(rows, 1);
  check(weights.rows == rows && weights.cols == cols, where,
        "packed weights " + size_text(weights.rows, weights.cols) + " do not match weight " +
            to_string(weight.shape()) + " (flattened " + size_text(rows, cols) + ")");
  if (!layer.conv) return std::make_shared<TernaryLinear>(std::move(weights), layer.bias);
  return std::make_shared<TernaryConv2d>(std::move(weights), weight.size(1), weight.size(2),
                                         *layer.conv, layer.bias);
}

std::shared_ptr<TernaryLayer> ternary_twin(const nn::Module& layer, PackedTernary weights,
                                           const std::string& where) {
  if (const auto* l = dynamic_cast<const nn::Linear*>(&layer))
    return ternary_twin(FloatLayer{l->weight(), l->bias(), nullptr}, std::move(weights),
                        where + ": " + layer.repr());
  if (const auto* c = dynamic_cast<const nn::Conv2d*>(&layer))
    return ternary_twin(FloatLayer{c->weight(), c->bias(), &c->options()}, std::move(weights),
                        where + ": " + layer.repr());
  return nullptr;
}

std::vector<std::pair<std::string, std::shared_ptr<TernaryLayer>>> find_ternary(
    const nn::Module& model) {
  std::vector<std::pair<std::string, std::shared_ptr<TernaryLayer>>> layers;
  for (const auto& [name, module] : model.named_modules())
    if (auto layer = std::dynamic_pointer_cast<TernaryLayer>(module))
      layers.emplace_back(name, layer);
  return layers;
}

}  // namespace trit::quant
