// TrainConfig: everything that defines a training run, as the CLI flags set it.
//
// It is stored verbatim (JSON) in every checkpoint; --resume checks that the fields that
// change the result (model, dataset, batch, optimiser, schedule, seed, ...) agree with the
// checkpoint's, so a resumed run is the same run. `epochs` may change on resume (Trainer::resume
// refuses it when the schedule spans the epochs, unless asked to reschedule).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace trit::train {

struct TrainConfig {
  std::string model = "lenet5";
  std::string dataset = "mnist";  // mnist | fashion-mnist | cifar10
  std::string data_dir;           // empty: the folder ./run.sh fills
  int64_t epochs = 5;
  int64_t batch = 64;
  std::string optimizer = "adam";  // sgd | adam | adamw
  float lr = 1e-3f;
  float momentum = 0.9f;  // sgd
  bool nesterov = false;  // sgd
  float weight_decay = 0.0f;
  // constant | step | cosine | linear. Cosine annealing to final_lr over `epochs` is the
  // default: it works for the epochs asked (LeNet-5 with Adam, 5 epochs: docs/robustness.md,
  // "Defaults that work").
  std::string schedule = "cosine";
  float final_lr = 0.0f;              // cosine and linear end here
  double decay_start = 0.0;           // linear: epochs at lr before the decay begins
  int64_t step_every = 30;            // step: multiply by step_gamma every N epochs
  float step_gamma = 0.1f;
  double warmup_epochs = 0.0;  // linear warm-up from 0, composed with the schedule
  bool augment = false;        // pad-crop-flip (the C10+ setting)
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  // How `trit train` initialises a fresh model: "default" (each layer's own rule, PyTorch's
  // for Linear/Conv2d) or "glorot" (nn::init::glorot_, Keras' default; the VNQ paper
  // pre-trains LeNet-5 "from Glorot init", spec §4.2).
  std::string weight_init = "default";

  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& json);
  // Throws trit::Error naming the first field in which `other` changes the run.
  void check_resumable_from(const TrainConfig& other) const;
};

}  // namespace trit::train
