#include "optim/adam.h"

#include <cmath>

#include "autograd/error.h"
#include "optim/kernels/update.h"

namespace trit::optim {

Adam::Adam(std::string kind, std::vector<ParamGroup> groups, const AdamOptions& options)
    : Optimizer(std::move(kind), std::move(groups), options.lr, options.weight_decay,
                {"step", "exp_avg", "exp_avg_sq"}),
      options_(options) {
  check(options.beta1 >= 0.0f && options.beta1 < 1.0f && options.beta2 >= 0.0f &&
            options.beta2 < 1.0f,
        this->kind(), "betas must lie in [0, 1)");
  check(options.eps >= 0.0f, this->kind(), "eps must be >= 0");
}

void Adam::update(Tensor& param, const Tensor& grad, float lr, float weight_decay,
                  ParamState& state) {
  if (state.empty()) {
    state["step"] = Tensor::scalar(0.0f);
    state["exp_avg"] = Tensor::zeros(param.shape());
    state["exp_avg_sq"] = Tensor::zeros(param.shape());
  }
  float& t = state["step"].data()[0];
  t += 1.0f;
  // Bias corrections in double, as PyTorch computes them from Python floats.
  const double correction1 = 1.0 - std::pow(double(options_.beta1), double(t));
  const double correction2 = 1.0 - std::pow(double(options_.beta2), double(t));
  const kernels::AdamStep step{lr,
                               options_.beta1,
                               options_.beta2,
                               options_.eps,
                               weight_decay,
                               kind() == "adamw",
                               static_cast<float>(lr / correction1),
                               static_cast<float>(std::sqrt(correction2))};
  kernels::adam_update(step, param.data(), grad.data(), state["exp_avg"].data(),
                       state["exp_avg_sq"].data(), static_cast<size_t>(param.numel()));
}

}  // namespace trit::optim
