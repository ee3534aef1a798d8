// Adam (torch.optim.Adam: L2 weight decay added to the gradient) and AdamW
// (torch.optim.AdamW: decoupled weight decay), without amsgrad.
//
// Per parameter at its t-th update (t from 1), with g its gradient:
//   Adam:  g += weight_decay * p          AdamW: p *= 1 - lr * weight_decay
//   m = beta1 * m + (1 - beta1) * g;      v = beta2 * v + (1 - beta2) * g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// State: "step" (t, 0-d), "exp_avg" (m) and "exp_avg_sq" (v), created as zeros.
#pragma once

#include "optim/optimizer.h"

namespace trit::optim {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // default for groups that set none (AdamW: see below)
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, const AdamOptions& options)
      : Adam("adam", std::move(groups), options) {}
  Adam(std::vector<Tensor> params, const AdamOptions& options)
      : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), 1.0f, std::nullopt}}, options) {}

 protected:
  Adam(std::string kind, std::vector<ParamGroup> groups, const AdamOptions& options);
  void update(Tensor& param, const Tensor& grad, float lr, float weight_decay,
              ParamState& state) override;

 private:
  AdamOptions options_;
};

// AdamW. PyTorch's default weight decay for AdamW is 0.01; AdamOptions{} has 0, so set it.
class AdamW : public Adam {
 public:
  AdamW(std::vector<ParamGroup> groups, const AdamOptions& options)
      : Adam("adamw", std::move(groups), options) {}
  AdamW(std::vector<Tensor> params, const AdamOptions& options)
      : AdamW(std::vector<ParamGroup>{ParamGroup{std::move(params), 1.0f, std::nullopt}}, options) {
  }
};

}  // namespace trit::optim
