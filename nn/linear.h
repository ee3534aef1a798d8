// Linear: y = x W^T + b (PyTorch's nn.Linear) on the fused linear op (autograd/ops/matmul.h).
//
//   x [N, in_features] -> [N, out_features]; weight [out, in], bias [out] (optional).
// Initialised as PyTorch does (init.h default_weight_ then default_bias_), drawing from
// `rng`: weight U(-1/sqrt(in), 1/sqrt(in)), bias likewise.
#pragma once

#include "autograd/random.h"
#include "nn/module.h"

namespace trit::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Rng& rng, bool bias = true);

  Tensor forward(const Tensor& input) override;
  std::string repr() const override;  // "Linear(800, 500)", "Linear(800, 500, bias=false)"

  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }  // undefined without a bias

 private:
  int64_t in_features_, out_features_;
  Tensor weight_, bias_;
};

}  // namespace trit::nn
