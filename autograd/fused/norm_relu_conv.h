// norm_relu_conv2d: conv2d(relu(batch_norm(x[:, :channels]))) as one op that keeps nothing
// of its normalised input; backward recomputes it. This is the recomputation of Pleiss et
// al. 2017 ("Memory-Efficient Implementation of DenseNets"): with fused/channel_buffer.h a
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
//   channel's mean and 1/sqrt(var + eps). Gradients go to x's first `channels` channels,
//   norm.weight, norm.bias and weight, each only when it requires grad.
// - Work goes image group by image group (a group's normalised input fits in 512 KiB):
//   forward normalises a group into a scratch buffer and convolves it while it is in cache;
//   backward normalises it again, runs the conv's backward for the group (ops/conv_image.h),
//   then the ReLU and batch-norm backward with the mask recomputed from x, adding the
//   per-element part of x's gradient at once and the batch-statistics part in a last pass
//   (or owing it to `shared`).
//   No [N, channels, H, W] intermediate is ever allocated. Weight gradients and batch-norm
//   sums are reduced per fixed chunk of images, then in chunk order: results do not depend
//   on the thread count.
// - Values equal those of batch_norm -> relu -> conv2d on slice(x, 1, 0, channels), and
//   gradients up to rounding (their sums are associated differently); only what is kept
//   differs.
// - shared (may be null; see fused/channel_buffer.h), in training only: channels whose batch
//   statistics it holds are not summed again, the others are added to it; backward adds
//   the statistics' part of x's gradient to its owed sums instead of to x's gradient.
// - norm.sync: synchronised BatchNorm as batch_norm's (ops/batch_norm.h): in training the
//   statistics and the two gradient sums of the statistics' terms are summed over processes.
//   Give it only for x made by channel_buffer / write_channels with the same `shared`.
// - input = kSquared convolves relu(batch_norm(x))^2 instead, elementwise (the variance
//   path of a variational layer, quant/vnq/variational.h: conv(h^2, sigma^2)); backward
//   recomputes h and chains through 2 h.
// Errors name the op and shapes, e.g. "norm_relu_conv2d: 12 channels of input [2,8,4,4]".
#pragma once

#include <cstdint>
#include <memory>

#include "autograd/fused/channel_buffer.h"
#include "autograd/ops/batch_norm.h"
#include "autograd/ops/conv.h"
#include "autograd/tensor.h"

namespace trit {

struct BatchNormState {
  Tensor weight, bias, running_mean, running_var;  // each [channels]
  bool training = true;
  float momentum = 0.1f, eps = 1e-5f;
  CrossProcessSum sync;  // synchronised statistics, as batch_norm's (ops/batch_norm.h)
};

// What the convolution reads: h = relu(batch_norm(x)) or h^2.
enum class NormReluInput { kPlain, kSquared };

Tensor norm_relu_conv2d(const Tensor& x, int64_t channels, const BatchNormState& norm,
                        const Tensor& weight, const Conv2dOptions& options = {},
                        std::shared_ptr<ChannelStatistics> shared = nullptr,
                        NormReluInput input = NormReluInput::kPlain);

}  // namespace trit
