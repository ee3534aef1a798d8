// VNQ test models: a registered model (LeNet-5, a tiny DenseNet) with variational layers in
// a state where pruning and quantisation (spec vnq.md §5) have all three outcomes, without
// training.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/graph.h"
#include "nn/models/registry.h"
#include "quant/vnq/model.h"

namespace trit::testing {

// The default VNQ config with the layers `names` kept in float.
inline quant::VnqConfig keeping_float(std::vector<std::string> names) {
  quant::VnqConfig config;
  config.keep_float = std::move(names);
  return config;
}

// Draws every log sigma^2 of `layers` uniformly from [lo, hi]: with [-10, 0], P&Q prunes some
// weights, snaps some to 0 and keeps others at +-a.
inline void spread_log_sigma2(const quant::VariationalLayers& layers, Rng& rng, float lo = -10.0f,
                              float hi = 0.0f) {
  NoGradGuard no_grad;
  for (const auto& layer : layers) {
    Tensor ls = layer->log_sigma2();
    for (int64_t i = 0; i < ls.numel(); ++i) ls.data()[i] = lo + (hi - lo) * rng.uniform();
  }
}

// Model `name` (seeded init) made variational with `config`, log sigma^2 spread over
// [-10, 0].
inline std::shared_ptr<nn::Module> spread_vnq_model(const std::string& name, uint64_t seed,
                                                    const quant::VnqConfig& config = {},
                                                    quant::VariationalLayers* layers = nullptr) {
  Rng rng(seed);
  std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
  const quant::VariationalLayers made = quant::make_variational(*model, config, seed);
  spread_log_sigma2(made, rng);
  if (layers) *layers = made;
  return model;
}

inline std::shared_ptr<nn::Module> spread_vnq_lenet(uint64_t seed,
                                                    const quant::VnqConfig& config = {},
                                                    quant::VariationalLayers* layers = nullptr) {
  return spread_vnq_model("lenet5", seed, config, layers);
}

}  // namespace trit::testing
