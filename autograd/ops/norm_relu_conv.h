// norm_relu_conv2d: conv2d(relu(batch_norm(x[:, :channels]))) as one op that keeps nothing
// of its normalised input; backward recomputes it. This is the recomputation of Pleiss et
// al. 2017 ("Memory-Efficient Implementation of DenseNets"): with ops/channel_buffer.h a
// dense block's memory grows linearly with its layers.
//
// Contract
// - x [N, C, H, W] with 0 < channels <= C: the op reads x's first `channels` channels (x may
//   be a dense block's buffer whose later channels are not written yet).
// - norm: batch-norm state of those channels, each tensor [channels]; the conventions of
//   batch_norm (ops/batch_norm.h): in training the batch statistics (biased variance)
//   normalise and the running statistics are updated in place, even under NoGradGuard;
//   in evaluation the running statistics normalise.
// - weight [Cout, channels / groups, KH, KW], no bias; options as conv2d (ops/conv.h).
//   -> [N, Cout, OH, OW].
// - Saved for backward: the handles of x, norm.weight, norm.bias and weight, and each
//   channel's mean and 1/sqrt(var + eps). Backward recomputes relu(batch_norm(...)) into
//   a scratch tensor (freed after), runs conv2d_backward, then the ReLU and batch-norm
//   backward: gradients go to x's first `channels` channels, norm.weight, norm.bias and
//   weight, each only when it requires grad.
// - Values and gradients equal those of batch_norm -> relu -> conv2d on slice(x, 1, 0,
//   channels) (same kernels and summation orders); only what is kept differs.
// Errors name the op and shapes, e.g. "norm_relu_conv2d: 12 channels of input [2,8,4,4]".
#pragma once

#include <cstdint>

#include "autograd/ops/conv.h"
#include "autograd/tensor.h"

namespace trit {

struct BatchNormState {
  Tensor weight, bias, running_mean, running_var;  // each [channels]
  bool training = true;
  float momentum = 0.1f, eps = 1e-5f;
};

Tensor norm_relu_conv2d(const Tensor& x, int64_t channels, const BatchNormState& norm,
                        const Tensor& weight, const Conv2dOptions& options = {});

}  // namespace trit
