// BatchNorm re-estimation: recompute every BatchNorm2d's running statistics from data for
// the weights a model has now.
//
// Why (shared/spec/vnq.md §8.4): a VNQ network's running statistics were accumulated under
// noisy, sampled pre-activations; evaluated with the posterior means theta or with ternary
// weights, its BN inputs have other statistics. The paper does not re-estimate them, so its
// numbers are the ones without this; with it, report the result as a separate, labelled row.
//
// Contract
// - next_batch(images) fills `images` with the next input batch [B, ...] and returns true,
//   or returns false when there are no more. It is asked for the first batch before
//   anything changes: with none, this throws and the model is unchanged.
// - Every BatchNorm2d's running_mean is reset to 0 and running_var to 1; then model(images)
//   runs for each batch without recording gradients, every BatchNorm2d in training mode and
//   every other module in evaluation mode (dropout off; a VNQ layer computes in the
//   VnqMode it is set to). Batch k (from 1) enters the running statistics with momentum
//   1/k, so afterwards, per channel,
//     running_mean = the mean over batches of the batch means,
//     running_var  = the mean over batches of the unbiased batch variances
//   (PyTorch's cumulative average, momentum = None), up to float rounding.
// - Afterwards every module has the training mode it had before and every BatchNorm2d its
//   momentum; nothing else changes (parameters, other buffers).
// - Returns the number of batches. Throws "recalibrate_batch_norm: ..." when the model has no
//   BatchNorm2d or next_batch gives no batch.
#pragma once

#include <cstdint>
#include <functional>

#include "nn/module.h"

namespace trit::nn {

using BatchSource = std::function<bool(Tensor& images)>;

int64_t recalibrate_batch_norm(Module& model, const BatchSource& next_batch);

}  // namespace trit::nn
