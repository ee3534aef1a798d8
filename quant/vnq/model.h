// VNQ on a whole model (shared/spec/vnq.md §4-§5): swap layers for variational twins, the
// KL term of the objective with its warm-up, the codebook's parameter group, and the
// pruning + quantisation statistics the paper reports.
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"
#include "optim/optimizer.h"
#include "quant/vnq/variational.h"

namespace trit::quant {

using VariationalLayers = std::vector<std::shared_ptr<VariationalLayer>>;

// Replaces every nn::Linear and nn::Conv2d inside `model` (at any depth) by its variational
// twin with theta = the layer's weights, the same bias, ls = config.init_log_sigma2 and
// a = max |theta| (§2.1, §4.2). config.keep_float lists dotted module names left deterministic
// (DenseNet's "w/o 1" row keeps the first conv, "features.conv0"); a name that is not a
// Linear or Conv2d of the model throws "make_variational: keep-float name ..." (a typo would
// otherwise quantise the layer silently). Returns the new layers in model order.
VariationalLayers make_variational(nn::Module& model, const VnqConfig& config, uint64_t seed);

// The variational layers of a model that already has them (e.g. rebuilt to load a VNQ
// checkpoint), in model order.
VariationalLayers find_variational(const nn::Module& model);

// weight * the sum over layers of their KL (§3.2), recorded on the tape. Pass a loss's KL
// factor as the weight rather than multiplying the result: it is folded into the layers'
// cached KL gradients (no scaling pass over them in backward).
Tensor total_kl(const VariationalLayers& layers, float weight = 1.0f);

// KL warm-up factor beta(t) at fractional epoch t: 0 until `delay`, then linear to 1 over
// `warmup` epochs (§4.2: LeNet-5 warmup 15, delay 0).
float kl_weight(double progress, double warmup, double delay = 0.0);

// Parameter groups: everything at the main rate except the codebook levels at `level_scale`
// (1/100, §2.1) and, when `log_sigma2_scale` is not 1 (VnqConfig::log_sigma2_lr_scale), the
// log sigma^2 of every layer at that multiple, in a third group.
std::vector<optim::ParamGroup> vnq_param_groups(const nn::Module& model,
                                                const VariationalLayers& layers,
                                                float level_scale = 0.01f,
                                                float log_sigma2_scale = 1.0f);

void set_mode(const VariationalLayers& layers, VnqMode mode);
void project(const VariationalLayers& layers);

// The "|w != 0| / |w|" and bits columns of the paper's tables (§5 reporting).
struct CompressionStats {
  int64_t weights = 0;   // quantised weights (all variational layers)
  int64_t nonzero = 0;   // after pruning + quantisation
  double nonzero_fraction() const { return weights ? double(nonzero) / weights : 0.0; }
};
CompressionStats compression_stats(const VariationalLayers& layers);

}  // namespace trit::quant
