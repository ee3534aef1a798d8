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

// Whether 8-bit activations make `conv` faster. A stride-1 convolution other than 1x1 copies
// its input into a padded layout anyway, and quantises in that copy (ternary_conv2d's wide
// path, kernels::quantize_padded); a 1x1 or strided one reads its input in place or as
// columns, and quantising that is a pass of its own, which the 16-bit lanes (half the
// float path's cost per addition) repay once each input column has kMinCodesPerColumn
// non-zero codes on average (measured on DenseNet-BC-40's 1x1 convolutions: at about 3 the
// two paths ran level; docs/performance.md).
constexpr double kMinCodesPerColumn = 4;

bool quantising_pays(const TernaryConv2d& conv) {
  const Conv2dOptions& o = conv.options();
  const bool pointwise = conv.kernel() == 1 && o.stride == 1 && o.padding == 0;
  const bool copies_input = !pointwise && o.stride == 1 && o.padding < conv.kernel();  // wide
  return copies_input || conv.nonzero() >= kMinCodesPerColumn * conv.weights().cols;
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
    const bool pays = quantising_pays(*conv);
    conv->set_activation_scale(range > 0 && pays ? range / float(kernels::kActivationMax) : 0.0f);
    calibrated += range > 0 && pays;
  }
  return calibrated;
}

void clear_activation_scales(nn::Module& model) {
  for (const auto& conv : ternary_convolutions(model)) conv->set_activation_scale(0.0f);
}

}  // namespace trit::quant
