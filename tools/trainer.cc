#include "tools/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/reduce.h"
#include "datasets/cifar10.h"
#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "nn/atomic_file.h"
#include "nn/batch_norm_recalibration.h"
#include "nn/checkpoint.h"
#include "nn/init.h"
#include "nn/models/registry.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "tools/progress.h"

namespace trit::cli {

std::string default_data_dir(const std::string& dataset) {
  if (dataset == "mnist") return datasets::kMnistDir;
  if (dataset == "fashion-mnist") return "data/fashion-mnist";
  if (dataset == "cifar10") return "data/cifar10";
  throw Error("--dataset: unknown dataset '" + dataset + "'; known: mnist, fashion-mnist, cifar10");
}

namespace {

// The split is not empty and its images have the shape `model` takes (none: any shape).
void check_split(const datasets::ImageDataset& split, const char* name, const std::string& model) {
  check(split.size() > 0, split.source(), "the " + std::string(name) + " split has no images");
  if (model.empty()) return;
  const Shape images{split.channels(), split.height(), split.width()};
  const Shape wanted = nn::model_spec(model).input_shape;
  check(images == wanted, split.source(),
        "the " + std::string(name) + " images are " + to_string(images) + " (channels, height, "
        "width), but model " + model + " takes " + to_string(wanted));
}

}  // namespace

DataSplits load_data(const std::string& dataset, const std::string& dir_flag,
                     const std::string& model) {
  const std::string dir = dir_flag.empty() ? default_data_dir(dataset) : dir_flag;
  using datasets::Split;
  DataSplits data;
  if (dataset == "mnist") {
    data.train = datasets::load_mnist(dir, Split::kTrain);
    data.test = datasets::load_mnist(dir, Split::kTest);
  } else if (dataset == "fashion-mnist") {
    data.train = datasets::load_fashion_mnist(dir, Split::kTrain);
    data.test = datasets::load_fashion_mnist(dir, Split::kTest);
  } else if (dataset == "cifar10") {
    data.train = datasets::load_cifar10(dir, Split::kTrain);
    data.test = datasets::load_cifar10(dir, Split::kTest);
  } else {
    default_data_dir(dataset);  // throws the "unknown dataset" message
  }
  check_split(data.train, "training", model);
  check_split(data.test, "test", model);
  data.normalization = datasets::channel_mean_std(data.train);
  return data;
}

namespace {

int64_t count_correct(const Tensor& logits, const std::vector<int64_t>& labels) {
  const std::vector<int64_t> predicted = argmax(logits, -1);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return correct;
}

}  // namespace

double evaluate_accuracy(nn::Module& model, const datasets::ImageDataset& data,
                         const datasets::Normalization& normalization, int64_t batch_size) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  datasets::LoaderOptions options;
  options.batch_size = batch_size;
  options.shuffle = false;
  options.normalization = normalization;
  datasets::DataLoader loader(data, options);
  loader.start_epoch(0);
  datasets::Batch batch;
  int64_t correct = 0;
  while (loader.next(batch)) correct += count_correct(model(batch.images), batch.labels);
  model.train(was_training);
  return data.size() ? static_cast<double>(correct) / data.size() : 0.0;
}

int64_t reestimate_batch_norm(nn::Module& model, const DataSplits& data, int64_t images,
                              int64_t batch) {
  datasets::LoaderOptions options;
  options.batch_size = batch;
  options.shuffle = true;
  options.seed = 0;
  options.normalization = data.normalization;
  datasets::DataLoader loader(data.train, options);
  loader.start_epoch(0);
  const int64_t wanted = std::min(images, data.train.size());
  int64_t used = 0;
  nn::recalibrate_batch_norm(model, [&](Tensor& out) {
    datasets::Batch next;
    if (used >= wanted || !loader.next(next)) return false;
    const int64_t take = std::min(wanted - used, next.images.size(0));
    out = take == next.images.size(0) ? next.images : slice(next.images, 0, 0, take);
    used += take;
    return true;
  });
  return used;
}

std::shared_ptr<nn::Module> make_initialised_model(const TrainConfig& config, Rng& rng) {
  std::shared_ptr<nn::Module> model = nn::make_model(config.model, rng);
  if (config.weight_init == "glorot") {
    nn::init::glorot_(*model, rng);
  } else if (config.weight_init != "default") {
    throw Error("--weight-init: unknown rule '" + config.weight_init + "'; known: default, glorot");
  }
  return model;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                 std::vector<optim::ParamGroup> groups) {
  if (c.optimizer == "sgd") {
    optim::SgdOptions options;
    options.lr = c.lr;
    options.momentum = c.momentum;
    options.weight_decay = c.weight_decay;
    options.nesterov = c.nesterov;
    return std::make_unique<optim::SGD>(std::move(groups), options);
  }
  optim::AdamOptions options;
  options.lr = c.lr;
  options.weight_decay = c.weight_decay;
  if (c.optimizer == "adam") return std::make_unique<optim::Adam>(std::move(groups), options);
  if (c.optimizer == "adamw") return std::make_unique<optim::AdamW>(std::move(groups), options);
  throw Error("--optimizer: unknown optimizer '" + c.optimizer + "'; known: sgd, adam, adamw");
}

optim::LrSchedule make_schedule(const TrainConfig& c) {
  using optim::LrSchedule;
  LrSchedule schedule = LrSchedule::constant(c.lr);
  if (c.schedule == "step") {
    schedule = LrSchedule::step_decay(c.lr, c.step_every, c.step_gamma);
  } else if (c.schedule == "cosine") {
    schedule = LrSchedule::cosine(c.lr, c.final_lr, static_cast<double>(c.epochs));
  } else if (c.schedule == "linear") {
    schedule = LrSchedule::linear(c.lr, c.final_lr, static_cast<double>(c.epochs), c.decay_start);
  } else if (c.schedule != "constant") {
    throw Error("--schedule: unknown schedule '" + c.schedule +
                "'; known: constant, step, cosine, linear");
  }
  return c.warmup_epochs > 0 ? schedule.with_warmup(c.warmup_epochs) : schedule;
}

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, const DataSplits& data,
                 TrainConfig config, TrainHooks hooks)
    : model_(model),
      optimizer_(optimizer),
      data_(data),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      schedule_(make_schedule(config_)) {}

void Trainer::set_outputs(std::string checkpoint, std::string metrics) {
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
  const nn::TrainingState state = nn::load_checkpoint(checkpoint, model_, &optimizer_);
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
    std::fprintf(stderr, "%s: the %s schedule now spans %lld epochs (it spanned %lld)\n",
                 where.c_str(), config_.schedule.c_str(),
                 static_cast<long long>(config_.epochs), static_cast<long long>(before.epochs));
  }
  start_epoch_ = state.epoch;
  steps_done_ = state.step;
  resumed_from_ = checkpoint;
  if (start_epoch_ >= config_.epochs)
    std::fprintf(stderr, "checkpoint %s already has %lld epochs; nothing to train\n",
                 checkpoint.c_str(), static_cast<long long>(start_epoch_));
}

void Trainer::save(int64_t epochs_done) {
  if (checkpoint_.empty()) return;
  nn::TrainingState state;
  state.config = config_.to_json().dump();
  state.epoch = epochs_done;
  state.step = steps_done_;
  state.rng = Rng(config_.seed).state();
  state.extra = extra_;
  nn::save_checkpoint(checkpoint_, model_, &optimizer_, state);
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
  datasets::LoaderOptions options;
  options.batch_size = config_.batch;
  options.shuffle = true;
  options.seed = config_.seed;
  options.normalization = data_.normalization;
  if (config_.augment) options.augment = datasets::CropFlip{};
  options.prefetch = true;
  datasets::DataLoader loader(data_.train, options);
  loader.start_epoch(epoch);
  if (hooks_.on_epoch_start) hooks_.on_epoch_start(epoch);
  model_.train();

  const int64_t steps = loader.batches_per_epoch();
  Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config_.epochs),
                    steps);
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
    loss.backward();
    optimizer_.step();
    if (hooks_.after_step) hooks_.after_step();
    ++step;
    ++steps_done_;
    loss_sum += value * batch.labels.size();
    correct += count_correct(logits, batch.labels);
    seen += static_cast<int64_t>(batch.labels.size());
    progress.update(step, loss_sum / seen, double(correct) / seen, seen);
  }
  EpochStats stats;
  stats.epoch = epoch + 1;
  stats.seconds = progress.elapsed_seconds();
  stats.loss = loss_sum / std::max<int64_t>(seen, 1);
  stats.train_accuracy = double(correct) / std::max<int64_t>(seen, 1);
  stats.images_per_second = seen / std::max(stats.seconds, 1e-9);
  stats.lr = lr;
  stats.test_accuracy = evaluate_accuracy(model_, data_.test, data_.normalization);
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
    if (!metrics_.empty()) {
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

}  // namespace trit::cli
