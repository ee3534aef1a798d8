// Calibration of the optional 8-bit activation path of a packed ternary model (ops.h,
// ternary_conv2d's activation_scale): the quantised-activation variant that trades exactness
// for integer lanes. The exact float path stays the default and the reference.
//
// calibrate_activations(model, inputs): every TernaryConv2d of `model` (linear layers keep
//   float activations: at batch 1 they sum scattered inputs, which integer lanes do not
//   speed up) first runs `inputs` through the model on its exact path, recording the largest
//   |input| r each convolution sees, then takes the scale r / 127: the symmetric min-max rule
//   (PyTorch's MinMaxObserver, qint8 symmetric), one scale per layer. A layer keeps the exact
//   path when its inputs were all 0, or when quantising would slow it down: a 1x1 or strided
//   convolution (which reads its input in place, so quantising is a pass of its own) with
//   fewer than 4 non-zero codes per input column on average. The model runs in evaluation mode without recording on
//   the tape; its mode is restored. Returns the number of layers given a scale.
// clear_activation_scales(model): every TernaryConv2d back on the exact path.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"
#include "nn/module.h"

namespace trit::quant {

int64_t calibrate_activations(nn::Module& model, const std::vector<Tensor>& inputs);

void clear_activation_scales(nn::Module& model);

}  // namespace trit::quant
