#include "quant/vnq/to_ternary.h"

#include <algorithm>

#include "autograd/error.h"
#include "quant/ternary/pack.h"
#include "quant/vnq/variational.h"

namespace trit::quant {

TernaryLayers make_ternary(nn::Module& model) {
  TernaryLayers layers;
  replace_layers(model, [&](const std::string& path, const nn::Module& child) {
    const auto* variational = dynamic_cast<const VariationalLayer*>(&child);
    if (!variational) return std::shared_ptr<nn::Module>();
    const Tensor theta = variational->theta();
    const int64_t rows = theta.size(0), cols = theta.numel() / std::max<int64_t>(rows, 1);
    const std::vector<int8_t> codes = variational->ternary_codes();
    PackedTernary packed = pack_ternary(codes.data(), rows, cols, variational->level_value());
    const auto* conv = dynamic_cast<const VariationalConv2d*>(variational);
    const FloatLayer weights{theta, variational->bias(), conv ? &conv->options() : nullptr};
    layers.push_back(ternary_twin(weights, std::move(packed), "make_ternary: " + path));
    return std::shared_ptr<nn::Module>(layers.back());
  });
  check(!layers.empty(), "make_ternary", "model " + model.name() + " has no variational layer");
  return layers;
}

}  // namespace trit::quant
