// Batch normalisation over the channels of x [N,C] or [N,C,H,W] (Ioffe & Szegedy 2015,
// with PyTorch's conventions).
//
// Contract
// - weight, bias, running_mean and running_var are [C]. Per channel, over its M = N*H*W
//   values: out = (x - mean) / sqrt(var + eps) * weight + bias.
// - training: mean and var are the batch statistics (var biased, divided by M); M must be
//   at least 2. The running statistics are updated in place, even under NoGradGuard:
//   running = (1 - momentum) * running + momentum * batch, with the unbiased variance
//   (divided by M - 1) going into running_var.
// - evaluation: mean and var are running_mean and running_var, which stay unchanged.
// - Statistics use a fixed reduction order (kernels/batch_norm.h); channels run in
//   parallel, so results are bit-identical for any thread count.
// - Saved for backward: x, weight, and each channel's mean and 1/sqrt(var + eps) as used
//   in the forward pass. Backward gives x, weight and bias their gradients; in training it
//   is the full batch-statistics derivative, in evaluation the statistics are constants.
// - sync (synchronised BatchNorm, distributed/data_parallel.h): when given, training uses the
//   statistics of the whole global batch over the processes of a data-parallel run. The op
//   sums its per-channel sums (and the value count) through sync, then the squared
//   deviations from the global mean; backward sums the two per-channel gradient sums of
//   its d x term the same way. Weight and bias gradients stay this process's share (the
//   data-parallel gradient sum adds them up). Every process must run the same ops in the same
//   order, as data-parallel training does. Evaluation never calls it.
// - Throws "batch_norm: ..." naming the shapes for a wrong rank or parameter shape, for a
//   training batch with one value per channel, or for momentum outside [0, 1] or eps <= 0.
#pragma once

#include <functional>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

// Sums `values` element-wise over the processes of a data-parallel run, in place. Every
// process calls it at the same point with the same number of values.
using CrossProcessSum = std::function<void(std::vector<double>& values)>;

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, float momentum = 0.1f, float eps = 1e-5f,
                  const CrossProcessSum& sync = {});

// relu(batch_norm(x[:, :channels])) in evaluation mode, in one pass over x, for inference:
// x [N, C, H, W] with 0 < channels <= C (a dense block's buffer, say), the four parameters
// [channels] -> [N, channels, H, W]. The values equal batch_norm (training false), relu and
// the slice in turn; nothing is recorded, so it throws "batch_norm_relu_eval: ..." when grad
// mode is on and x, weight or bias requires grad (use the three ops there), and for shapes
// as batch_norm does.
Tensor batch_norm_relu_eval(const Tensor& x, int64_t channels, const Tensor& weight,
                            const Tensor& bias, const Tensor& running_mean,
                            const Tensor& running_var, float eps = 1e-5f);

}  // namespace trit
