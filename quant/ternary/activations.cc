#include "quant/ternary/activations.h"

#include <memory>

#include "autograd/graph.h"
#include "quant/ternary/kernels/sparse_int16.h"
#include "quant/ternary/layers.h"

namespace trit::quant {
namespace {

std::vector<std::shared_ptr<TernaryConv2d>> ternary_convolutions(const nn::Module& model) {
  std::vector<std::shared_ptr<TernaryConv2d>> out;
  for (const auto& [path, layer] : find_ternary(model))
    if (auto conv = std::dynamic_pointer_cast<TernaryConv2d>(layer)) out.push_back(conv);
  return out;
}

}  // namespace

int64_t calibrate_activations(nn::Module& model, const std::vector<Tensor>& inputs) {
  const auto convolutions = ternary_convolutions(model);
  for (const auto& conv : convolutions) {
    conv->set_activation_scale(0.0f);  // record the inputs of the exact path
    conv->record_input_range(true);
  }
  const bool training = model.is_training();
  model.eval();
  {
    NoGradGuard no_grad;
    for (const Tensor& input : inputs) model(input);
  }
  model.train(training);
  int64_t calibrated = 0;
  for (const auto& conv : convolutions) {
    conv->record_input_range(false);
    const float range = conv->input_range();
    conv->set_activation_scale(range > 0 ? range / float(kernels::kActivationMax) : 0.0f);
    calibrated += range > 0;
  }
  return calibrated;
}

void clear_activation_scales(nn::Module& model) {
  for (const auto& conv : ternary_convolutions(model)) conv->set_activation_scale(0.0f);
}

}  // namespace trit::quant
