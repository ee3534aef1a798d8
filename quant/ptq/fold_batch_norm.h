// BatchNorm folding before post-training quantisation (ptq.md §5.4).
//
// In every Sequential of `model` (the model itself included), a Conv2d directly followed by a
// BatchNorm2d over its output channels gets the evaluation-mode scale
// s = gamma / sqrt(running_var + eps) multiplied into its weights (and bias, if any), so the
// quantiser sees the weights the network really applies. The BatchNorm2d stays in place as a
// pure shift: gamma = 1, running_var = 1 - eps, running_mean = s * mean, beta unchanged, so
// evaluation-mode outputs are unchanged (up to float round-off) and the state dict keeps its
// names and shapes (the checkpoint still loads into the registry's model).
// Not folded: BatchNorm before a conv or separated from it by another module (e.g. DenseNet's
// BN-ReLU-conv order), which has no exact fold into the conv's weights.
// Training-mode batch statistics are not meaningful afterwards (the model is for evaluation).
#pragma once

#include "nn/module.h"

namespace trit::quant {

// Returns the number of BatchNorm2d layers folded.
int fold_batch_norms(nn::Module& model);

}  // namespace trit::quant
