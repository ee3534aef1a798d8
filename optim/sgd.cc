#include "optim/sgd.h"

#include "autograd/error.h"
#include "optim/kernels/update.h"

namespace trit::optim {
namespace {

std::vector<std::string> sgd_buffers(const SgdOptions& options) {
  if (options.momentum == 0.0f) return {};
  return {"momentum_buffer"};
}

}  // namespace

SGD::SGD(std::vector<ParamGroup> groups, const SgdOptions& options)
    : Optimizer("sgd", std::move(groups), options.lr, options.weight_decay, sgd_buffers(options)),
      options_(options) {
  check(options.momentum >= 0.0f, "sgd", "momentum must be >= 0");
  check(!options.nesterov || (options.momentum > 0.0f && options.dampening == 0.0f), "sgd",
        "Nesterov momentum requires a momentum > 0 and zero dampening");
}

void SGD::update(Tensor& param, const Tensor& grad, float lr, float weight_decay,
                 ParamState& state) {
  const kernels::SgdStep step{lr, options_.momentum, options_.dampening, weight_decay,
                              options_.nesterov};
  float* buffer = nullptr;
  const bool first = state.empty();
  if (options_.momentum != 0.0f) {
    if (first) state["momentum_buffer"] = Tensor::empty(param.shape());
    buffer = state["momentum_buffer"].data();
  }
  kernels::sgd_update(step, param.data(), grad.data(), buffer, first,
                      static_cast<size_t>(param.numel()));
}

}  // namespace trit::optim
