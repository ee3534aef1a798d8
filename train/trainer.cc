#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/loss.h"
#include "datasets/loader.h"
#include "nn/atomic_file.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/progress.h"
#include "train/recipe.h"

namespace trit::train {


Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, const DataSplits& data,
                 TrainConfig config, TrainHooks hooks)
    : model_(model),
      optimizer_(optimizer),
      data_(data),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      schedule_(make_schedule(config_)) {}

void Trainer::distribute(distributed::DataParallel& parallel) {
  parallel_ = &parallel;
  parallel_->broadcast_state();
}

const distributed::Communicator& Trainer::communicator() const {
  return parallel_ ? parallel_->communicator() : distributed::Communicator::single();
}

void Trainer::set_outputs(std::string checkpoint, std::string metrics) {
  if (!communicator().is_root()) return;  // rank 0 writes
  if (!checkpoint.empty()) nn::resolve_save_target(checkpoint, "--save");
  checkpoint_ = std::move(checkpoint);
  metrics_ = std::move(metrics);
}

namespace {

// "float" for a plain training checkpoint, else its metadata "kind" ("vnq", "ternary", ...).
std::string checkpoint_kind(const nn::Metadata& metadata) {
  const auto kind = metadata.find("kind");
  return kind == metadata.end() ? "float" : kind->second;
}

std::string epochs_text(int64_t epochs) {
  return std::to_string(epochs) + (epochs == 1 ? " epoch" : " epochs");
}

bool schedule_spans_epochs(const std::string& schedule) {
  return schedule == "cosine" || schedule == "linear";
}

}  // namespace

void Trainer::resume(const std::string& checkpoint, bool reschedule) {
  const std::string where = "--resume " + checkpoint;
  const std::string theirs = checkpoint_kind(nn::load_safetensors(checkpoint).metadata);
  const std::string mine = checkpoint_kind(extra_);
  check(theirs == mine, where,
        "a " + theirs + " checkpoint, but this command trains a " + mine + " model" +
            (theirs == "vnq" ? " (continue it with `trit vnq --resume`)" : ""));
  const nn::TrainingState state = load_checkpoint(checkpoint, model_, optimizer_);
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(state.config);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": config metadata is not JSON: " + e.what());
  }
  const TrainConfig before = TrainConfig::from_json(saved);
  config_.check_resumable_from(before);
  if (before.epochs != config_.epochs && schedule_spans_epochs(config_.schedule)) {
    check(reschedule, where,
          "the run's " + config_.schedule + " learning-rate schedule spans " +
              epochs_text(before.epochs) + "; --epochs " +
              std::to_string(config_.epochs) +
              " would change the rate of every remaining epoch. Give --epochs " +
              std::to_string(before.epochs) + " to finish the run as planned, or add "
              "--reschedule to follow a " + std::to_string(config_.epochs) +
              "-epoch schedule from here on");
    if (communicator().is_root())
      std::fprintf(stderr, "%s: the %s schedule now spans %lld epochs (it spanned %lld)\n",
                   where.c_str(), config_.schedule.c_str(),
                   static_cast<long long>(config_.epochs), static_cast<long long>(before.epochs));
  }
  if (parallel_) parallel_->broadcast_state();
  start_epoch_ = state.epoch;
  steps_done_ = state.step;
  resumed_from_ = checkpoint;
  if (start_epoch_ >= config_.epochs && communicator().is_root())
    std::fprintf(stderr, "checkpoint %s already has %lld epochs; nothing to train\n",
                 checkpoint.c_str(), static_cast<long long>(start_epoch_));
}

void Trainer::save(int64_t epochs_done) {
  if (checkpoint_.empty() || !communicator().is_root()) return;
  nn::TrainingState state;
  state.config = config_.to_json().dump();
  state.epoch = epochs_done;
  state.step = steps_done_;
  state.rng = Rng(config_.seed).state();
  state.extra = extra_;
  save_checkpoint(checkpoint_, model_, optimizer_, state);
  last_saved_epoch_ = epochs_done;
}

std::string Trainer::what_is_saved() const {
  if (checkpoint_.empty()) return "";
  const int64_t epoch = last_saved_epoch_ >= 0        ? last_saved_epoch_
                        : resumed_from_ == checkpoint_ ? start_epoch_
                                                       : -1;
  if (epoch >= 0)
    return ", the checkpoint " + checkpoint_ + " of epoch " + std::to_string(epoch) + " is intact";
  return ", before the first checkpoint: nothing was written to " + checkpoint_;
}

EpochStats Trainer::train_epoch(int64_t epoch) {
  datasets::LoaderOptions options =
      datasets::LoaderOptions::shuffled(config_.batch, config_.seed, data_.normalization);
  if (config_.augment) options.augment = datasets::CropFlip{};
  options.prefetch = true;
  const distributed::Communicator& ranks = communicator();
  options.shard = ranks.rank();
  options.shards = ranks.size();
  datasets::DataLoader loader(data_.train, options);
  loader.start_epoch(epoch);
  if (hooks_.on_epoch_start) hooks_.on_epoch_start(epoch);
  model_.train();

  const int64_t steps = loader.batches_per_epoch();
  Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config_.epochs),
                    steps, 100, ranks.is_root());
  datasets::Batch batch;
  double loss_sum = 0.0;
  int64_t correct = 0, seen = 0, step = 0;
  float lr = 0.0f;
  while (loader.next(batch)) {
    lr = schedule_.at({epoch, step, steps});
    optimizer_.set_lr(lr);
    const Tensor logits = model_(batch.images);
    Tensor loss = cross_entropy(logits, batch.labels);
    if (hooks_.extra_loss) loss = loss + hooks_.extra_loss(epoch + double(step) / steps);
    const float value = loss.item();
    if (!std::isfinite(value)) {
      clear_tape();
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", lr);
      throw Error("training: the loss is " + std::to_string(value) + " at epoch " +
                  std::to_string(epoch + 1) + " step " + std::to_string(step + 1) + " (lr " +
                  rate + "); stopped" + what_is_saved());
    }
    optimizer_.zero_grad();
    if (parallel_) {  // this rank's share of the global batch's mean loss
      parallel_->backward(loss, double(batch.labels.size()) / double(batch.global_size));
    } else {
      loss.backward();
    }
    optimizer_.step();
    if (hooks_.after_step) hooks_.after_step();
    ++step;
    ++steps_done_;
    loss_sum += value * batch.labels.size();
    correct += count_correct(logits, batch.labels);
    seen += static_cast<int64_t>(batch.labels.size());
    progress.update(step, loss_sum / seen, double(correct) / seen, seen * ranks.size());
  }
  double totals[3] = {loss_sum, double(correct), double(seen)};  // over every rank's shards
  ranks.sum(totals, 3);
  loss_sum = totals[0];
  correct = static_cast<int64_t>(totals[1]);
  seen = static_cast<int64_t>(totals[2]);
  EpochStats stats;
  stats.epoch = epoch + 1;
  stats.seconds = progress.elapsed_seconds();
  stats.loss = loss_sum / std::max<int64_t>(seen, 1);
  stats.train_accuracy = double(correct) / std::max<int64_t>(seen, 1);
  stats.images_per_second = seen / std::max(stats.seconds, 1e-9);
  stats.lr = lr;
  if (parallel_) parallel_->average_buffers();  // one model to evaluate and save
  stats.test_accuracy = evaluate_accuracy(model_, data_.test, data_.normalization, ranks);
  char summary[256];
  std::snprintf(summary, sizeof summary,
                "epoch %lld/%lld  loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %s",
                static_cast<long long>(stats.epoch), static_cast<long long>(config_.epochs),
                stats.loss, 100 * stats.train_accuracy, 100 * stats.test_accuracy,
                stats.images_per_second, format_duration(stats.seconds).c_str());
  progress.finish(summary);
  return stats;
}

std::vector<EpochStats> Trainer::run() {
  std::vector<EpochStats> history;
  const int64_t end = stop_after_epoch_ > 0 ? std::min(stop_after_epoch_, config_.epochs)
                                            : config_.epochs;
  for (int64_t epoch = start_epoch_; epoch < end; ++epoch) {
    EpochStats stats = train_epoch(epoch);
    if (hooks_.on_epoch_end) hooks_.on_epoch_end(stats);
    history.push_back(stats);
    if (!metrics_.empty() && communicator().is_root()) {
      std::ofstream out(metrics_, std::ios::app);
      check(static_cast<bool>(out), "--metrics", "cannot open " + metrics_ + " for writing");
      nlohmann::json line = {{"epoch", stats.epoch},
                             {"loss", stats.loss},
                             {"train_accuracy", stats.train_accuracy},
                             {"test_accuracy", stats.test_accuracy},
                             {"images_per_second", stats.images_per_second},
                             {"seconds", stats.seconds},
                             {"lr", stats.lr}};
      for (const auto& [key, value] : stats.extra) line[key] = value;
      out << line.dump() << "\n";
    }
    save(epoch + 1);
  }
  return history;
}

}  // namespace trit::train
