// From a trained VNQ model to its packed ternary twin: the pruning and quantisation of
// spec vnq.md §5, without fine-tuning.
#pragma once

#include "nn/module.h"
#include "quant/ternary/layers.h"

namespace trit::quant {

// Replaces every VariationalLayer of `model` by its ternary twin, built from the layer's
// ternary_codes() (the P&Q rule at the layer's config().log_threshold, §5), its level() and
// a copy of its bias. Layers kept in float (Linear, Conv2d) stay as they are. Throws
// "make_ternary: ..." when the model has no variational layer or a conv has groups != 1.
// Returns the new layers in model order.
TernaryLayers make_ternary(nn::Module& model);

}  // namespace trit::quant
