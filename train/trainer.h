// The training loop behind `trit train` and `trit vnq`.
//
// Contract
// - Trainer::run() trains epochs [start_epoch, config.epochs) (or up to stop_after_epoch):
//   per step, lr from the schedule at (epoch, step), loss = mean cross-entropy
//   (+ hooks.extra_loss), backward, optimiser step, hooks.after_step. After each epoch it
//   evaluates on the test split, appends a JSON line to the metrics file (EpochStats' fields
//   and its extra ones), and saves a checkpoint with the optimiser's state
//   (train/checkpoint.h; atomic: a crash never destroys the previous one). A non-finite
//   loss stops training with an Error naming the epoch and step and what is on disk: the
//   last checkpoint (intact), or that none was written yet.
// - distribute(parallel): data-parallel training over parallel's ranks (distributed/
//   data_parallel.h, docs/distributed.md). Each rank takes its shard of every global batch of
//   config.batch samples (datasets/loader.h), gradients are summed over ranks, running
//   statistics averaged before each evaluation and save, the test set is evaluated in
//   shards; only rank 0 prints progress, writes metrics and saves checkpoints. A checkpoint
//   does not depend on the rank count: resume() reads it on every rank (the file must be
//   readable on each node) and rank 0's state is broadcast again.
// - Everything random derives from config.seed and the epoch (shuffle, augmentation,
//   hooks.on_epoch_start for model noise), so N epochs straight and N/2 + resume N/2
//   give bit-identical weights.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "distributed/data_parallel.h"
#include "nn/module.h"
#include "nn/safetensors.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"
#include "train/config.h"
#include "train/data.h"

namespace trit::train {

struct EpochStats {
  int64_t epoch = 0;  // 1-based, as printed
  double loss = 0, train_accuracy = 0, test_accuracy = 0;
  double images_per_second = 0, seconds = 0;
  float lr = 0;
  std::map<std::string, double> extra;  // more metrics, set by hooks.on_epoch_end (e.g. VNQ's)
};

struct TrainHooks {
  // Added to the cross-entropy (e.g. VNQ's beta(t) * KL / N); progress is the fractional epoch.
  std::function<Tensor(double progress)> extra_loss;
  std::function<void()> after_step;             // e.g. VNQ's projection of ls and a
  std::function<void(int64_t epoch)> on_epoch_start;  // e.g. reseed a model's noise
  // Extra reporting; what it puts in stats.extra goes into the metrics line too.
  std::function<void(EpochStats&)> on_epoch_end;
};

class Trainer {
 public:
  Trainer(nn::Module& model, optim::Optimizer& optimizer, const DataSplits& data,
          TrainConfig config, TrainHooks hooks = {});

  // Restores model, optimiser and position from a checkpoint of the same run. Throws Error
  // naming the file when it is another kind of checkpoint than this run writes (metadata
  // "kind", set_metadata: e.g. a VNQ checkpoint given to `trit train`; call set_metadata
  // first), when the config differs (TrainConfig::check_resumable_from), or when the run's
  // lr schedule depends on its length (cosine, linear) and config.epochs differs from the
  // checkpoint's: the remaining epochs would silently get another schedule. `reschedule`
  // allows that: the schedule is then the one for config.epochs from here on.
  void resume(const std::string& checkpoint, bool reschedule = false);
  // Checkpoint after every epoch to `path` ("" = none; a path that cannot be saved to is
  // refused now: nn::resolve_save_target); metrics JSON lines to `metrics`.
  void set_outputs(std::string checkpoint, std::string metrics);
  // Extra checkpoint metadata (e.g. VNQ's settings), written with every checkpoint.
  void set_metadata(nn::Metadata extra) { extra_ = std::move(extra); }
  // Makes run() stop after epoch `epoch` (1-based, as printed) although the run, its schedule
  // included, spans config.epochs; a later resume continues it. 0: no early stop.
  void stop_after_epoch(int64_t epoch) { stop_after_epoch_ = epoch; }
  // Trains over parallel's ranks from now on (see above); broadcasts rank 0's model state.
  void distribute(distributed::DataParallel& parallel);
  std::vector<EpochStats> run();
  int64_t start_epoch() const { return start_epoch_; }

 private:
  EpochStats train_epoch(int64_t epoch);
  const distributed::Communicator& communicator() const;
  void save(int64_t epochs_done);
  // ", the checkpoint X of epoch N is intact" or that none was written: for error messages.
  std::string what_is_saved() const;

  nn::Module& model_;
  optim::Optimizer& optimizer_;
  const DataSplits& data_;
  TrainConfig config_;
  TrainHooks hooks_;
  optim::LrSchedule schedule_;
  int64_t start_epoch_ = 0;
  int64_t steps_done_ = 0;
  int64_t last_saved_epoch_ = -1;  // epochs in the checkpoint this run saved (-1: none yet)
  std::string resumed_from_;
  int64_t stop_after_epoch_ = 0;
  std::string checkpoint_, metrics_;
  nn::Metadata extra_;
  distributed::DataParallel* parallel_ = nullptr;
};

}  // namespace trit::train
