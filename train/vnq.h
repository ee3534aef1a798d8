// VNQ training as library calls: Variational Network Quantization of a pre-trained model
// (shared/spec/vnq.md) on top of the Trainer.
//
// A VNQ run is a training run whose model has variational layers (quant/vnq/variational.h) and
// whose loss is
//   cross-entropy + beta(t) * KL / N                                       (§4.1)
// with beta's linear warm-up (§4.2), the codebook levels at 1/100 of the learning rate
// (quant::vnq_param_groups) and the projections of §4.3 after every step. Its checkpoints are
// ordinary training checkpoints with metadata kind = "vnq" and the VnqRecord
// (quant/vnq/checkpoint.h), so `trit eval`, `trit quantize` and load_vnq_model read them.
//
// Usage (what `trit vnq` does):
//   VnqRun run = start_vnq(config, vnq_config, "lenet5.safetensors", data);
//   Trainer trainer(*run.model, *run.optimizer, data, config, vnq_hooks(run, data, config.seed));
//   trainer.set_metadata(quant::vnq_metadata(run.record));
//   trainer.run();
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "nn/module.h"
#include "optim/optimizer.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/variational.h"
#include "train/config.h"
#include "train/data.h"
#include "train/trainer.h"

namespace trit::train {

// The defaults that adapt to the epochs asked (the spec's §4.2 settings are those of a
// paper-length run, 100 epochs or more):
// - level_init "auto": "max-abs" (the spec's a = max |w|) for 100 epochs or more; for shorter
//   runs "0.65" (65 % of each layer's weights start nearer 0 than +-a): in a few epochs sigma
//   hardly grows and weights stay in the funnel nearest their start, and max |w| puts almost
//   all of them in the zero funnel (LeNet-5, 20 epochs: docs/results-vnq.md).
// - kl_warmup unset: 15 epochs (the spec's), at most a fifth of the run (rounded up).
// Returns `vnq` with its level init set from `level_init` ("auto" or a text that
// quant::set_level_init takes) and its kl_warmup from `kl_warmup` or the rule above.
quant::VnqConfig resolve_vnq_defaults(quant::VnqConfig vnq, const std::string& level_init,
                                      int64_t epochs, std::optional<double> kl_warmup);

// A model made variational, its variational layers, its optimiser and the record it trains
// with (its VNQ config, and record.original_error when measured).
struct VnqRun {
  std::shared_ptr<nn::Module> model;
  quant::VariationalLayers layers;
  std::unique_ptr<optim::Optimizer> optimizer;
  quant::VnqRecord record;
};

// A fresh run: builds config.model, loads the float checkpoint `init` (nn::load_checkpoint),
// records its test error on `data` in record.original_error, swaps its Linear/Conv2d layers
// for variational twins (theta = the pre-trained weights, ls = -8, a as vnq.level_init says;
// vnq.keep_float stay deterministic) and makes config's optimiser over
// quant::vnq_param_groups. Noise seeds derive from config.seed.
VnqRun start_vnq(const TrainConfig& config, const quant::VnqConfig& vnq,
                 const std::string& init, const DataSplits& data);
// The same model, layers and optimiser for continuing the VNQ checkpoint `checkpoint` with
// the config it records; the caller then calls Trainer::resume(checkpoint).
VnqRun resume_vnq(const TrainConfig& config, const std::string& checkpoint);

// The Trainer hooks of `run`: the KL term with beta's warm-up over the training set's size,
// the projections after every step, the layers' noise reseeded each epoch from
// datasets::stream_rng(seed, kModelNoise, epoch, layer index), and each epoch's VNQ metrics
// (stats.extra: nonzero_fraction, means_test_error, pq_test_error, kl), also printed.
// In data-parallel training `rank` (> 0) splits each layer's stream once more by the rank,
// so that every rank samples its own noise, reproducibly for a seed and rank count; rank 0
// draws what a single process draws. `run` and `data` must outlive the hooks.
TrainHooks vnq_hooks(const VnqRun& run, const DataSplits& data, uint64_t seed, int rank = 0);

}  // namespace trit::train
