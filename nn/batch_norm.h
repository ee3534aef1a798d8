// BatchNorm2d: batch normalisation of [N, C, H, W] per channel (PyTorch's nn.BatchNorm2d;
// the op and its conventions are autograd/ops/batch_norm.h).
//
// Parameters weight [C] (ones) and bias [C] (zeros); buffers running_mean [C] (zeros) and
// running_var [C] (ones). Training normalises with the batch statistics and updates the
// running ones with `momentum` (0.1: running = 0.9 running + 0.1 batch, unbiased variance);
// evaluation uses the running statistics. Unlike PyTorch there is no num_batches_tracked
// buffer (it only matters for momentum = None; nn/batch_norm_recalibration.h gets that
// cumulative average by setting the momentum to 1/k for the k-th batch).
#pragma once

#include <cstdint>

#include "autograd/ops/batch_norm.h"
#include "nn/module.h"

namespace trit::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, float momentum = 0.1f, float eps = 1e-5f);

  Tensor forward(const Tensor& input) override;  // input must be 4-d with C channels
  std::string repr() const override;             // "BatchNorm2d(20)"

  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }
  Tensor running_mean() const { return running_mean_; }
  Tensor running_var() const { return running_var_; }
  float momentum() const { return momentum_; }
  void set_momentum(float momentum) { momentum_ = momentum; }  // the op checks it is in [0, 1]
  float eps() const { return eps_; }
  // Synchronised BatchNorm: training statistics over every process of a data-parallel run
  // (autograd/ops/batch_norm.h; distributed::DataParallel sets it). Empty: this batch alone.
  void set_sync(CrossProcessSum sync) { sync_ = std::move(sync); }
  const CrossProcessSum& sync() const { return sync_; }

 private:
  int64_t channels_;
  float momentum_, eps_;
  Tensor weight_, bias_, running_mean_, running_var_;
  CrossProcessSum sync_;
};

}  // namespace trit::nn
