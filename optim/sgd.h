// SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD).
//
// Per parameter, with g its gradient:  d = g + weight_decay * p
//   momentum > 0:  buf = d at the first update, else momentum * buf + (1 - dampening) * d
//                  d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
// State: "momentum_buffer" (only when momentum > 0). Nesterov needs momentum > 0 and
// dampening 0 (else Error, as PyTorch).
#pragma once

#include "optim/optimizer.h"

namespace trit::optim {

struct SgdOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;  // default for groups that set none
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, const SgdOptions& options);
  SGD(std::vector<Tensor> params, const SgdOptions& options)
      : SGD(std::vector<ParamGroup>{ParamGroup{std::move(params), 1.0f, std::nullopt}}, options) {}

 protected:
  void update(Tensor& param, const Tensor& grad, float lr, float weight_decay,
              ParamState& state) override;

 private:
  SgdOptions options_;
};

}  // namespace trit::optim
