#include "quant/ptq/fold_batch_norm.h"

#include <cmath>

#include "autograd/graph.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/sequential.h"

namespace trit::quant {
namespace {

void fold(const nn::Conv2d& conv, const nn::BatchNorm2d& bn) {
  NoGradGuard no_grad;
  Tensor weight = conv.weight(), bias = conv.bias();
  Tensor gamma = bn.weight(), mean = bn.running_mean(), var = bn.running_var();
  const int64_t channels = weight.size(0), per_channel = weight.numel() / channels;
  for (int64_t o = 0; o < channels; ++o) {
    const float s = gamma.data()[o] / std::sqrt(var.data()[o] + bn.eps());
    for (int64_t i = 0; i < per_channel; ++i) weight.data()[o * per_channel + i] *= s;
    if (bias.defined()) bias.data()[o] *= s;
    mean.data()[o] *= s;
    gamma.data()[o] = 1.0f;
    var.data()[o] = 1.0f - bn.eps();
  }
}

int fold_in_sequential(nn::Module& module) {
  if (dynamic_cast<nn::Sequential*>(&module) == nullptr) return 0;
  int folded = 0;
  const auto& children = module.children();
  for (size_t k = 0; k + 1 < children.size(); ++k) {
    const auto* conv = dynamic_cast<const nn::Conv2d*>(children[k].second.get());
    const auto* bn = dynamic_cast<const nn::BatchNorm2d*>(children[k + 1].second.get());
    if (conv == nullptr || bn == nullptr || bn->weight().numel() != conv->weight().size(0))
      continue;
    fold(*conv, *bn);
    ++folded;
  }
  return folded;
}

}  // namespace

int fold_batch_norms(nn::Module& model) {
  int folded = fold_in_sequential(model);
  for (const auto& [name, module] : model.named_modules()) folded += fold_in_sequential(*module);
  return folded;
}

}  // namespace trit::quant
