#include "nn/linear.h"

#include "autograd/error.h"
#include "autograd/ops/matmul.h"
#include "nn/init.h"

namespace trit::nn {

Linear::Linear(int64_t in_features, int64_t out_features, Rng& rng, bool bias)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  check(in_features > 0 && out_features > 0, "Linear",
        "sizes must be positive, got " + std::to_string(in_features) + " -> " +
            std::to_string(out_features));
  weight_ = register_parameter("weight", Tensor::empty({out_features, in_features}));
  init::default_weight_(weight_, rng);
  if (bias) {
    bias_ = register_parameter("bias", Tensor::empty({out_features}));
    init::default_bias_(bias_, weight_.shape(), rng);
  }
}

Tensor Linear::forward(const Tensor& input) { return linear(input, weight_, bias_); }

std::string Linear::repr() const {
  return "Linear(" + std::to_string(in_features_) + ", " + std::to_string(out_features_) +
         (bias_.defined() ? ")" : ", bias=false)");
}

}  // namespace trit::nn
