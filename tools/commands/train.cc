// `trit train`: train a registered model on a dataset, with checkpoints and metrics.
#include <cstdio>
#include <memory>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "distributed/communicator.h"
#include "nn/atomic_file.h"
#include "tools/commands/commands.h"
#include "train/config.h"
#include "train/data.h"
#include "train/evaluate.h"
#include "train/recipe.h"
#include "train/trainer.h"

namespace trit::cli {
namespace {

struct TrainArgs {
  train::TrainConfig config;
  std::string save, resume, metrics;
  bool reschedule = false;
  int64_t stop_after_epoch = 0;
  distributed::DataParallelOptions parallel;
};

void run_train(const TrainArgs& args) {
  const train::TrainConfig& config = args.config;
  const distributed::Communicator& world = distributed::Communicator::world();
  if (!args.save.empty() && world.is_root())
    nn::resolve_save_target(args.save, "--save");  // fail now, not later
  if (config.threads > 0) kernels::set_num_threads(config.threads);
  if (world.is_root())
    std::fprintf(stderr, "trit train: model %s, dataset %s, seed %llu, SIMD %s, %d threads%s\n",
                 config.model.c_str(), config.dataset.c_str(),
                 static_cast<unsigned long long>(config.seed), kernels::dispatch_target().c_str(),
                 kernels::num_threads(), ranks_text().c_str());
  const train::DataSplits data = train::load_data(config.dataset, config.data_dir, config.model);
  Rng rng(config.seed);
  std::shared_ptr<nn::Module> model = train::make_initialised_model(config, rng);
  auto optimizer = train::make_optimizer(config, {optim::ParamGroup{model->parameters(), 1.0f, {}}});
  train::Trainer trainer(*model, *optimizer, data, config);
  distributed::DataParallel parallel(*model, world, args.parallel);
  if (world.size() > 1) trainer.distribute(parallel);
  trainer.set_outputs(args.save, args.metrics);
  if (!args.resume.empty()) trainer.resume(args.resume, args.reschedule);
  trainer.stop_after_epoch(args.stop_after_epoch);
  const std::vector<train::EpochStats> history = trainer.run();
  const double accuracy =
      history.empty() ? train::evaluate_accuracy(*model, data.test, data.normalization, world)
                      : history.back().test_accuracy;
  if (world.size() > 1 && world.is_root())
    std::fprintf(stderr, "gradient sums: %.1f s not hidden by backward, %zu buckets\n",
                 parallel.reduce_seconds(), parallel.buckets());
  std::printf("%s on %s: test accuracy %.2f%% (error %.2f%%)\n", config.model.c_str(),
              config.dataset.c_str(), 100 * accuracy, 100 * (1 - accuracy));
  if (!args.save.empty()) std::printf("checkpoint: %s\n", args.save.c_str());
}

}  // namespace

void add_train_config_options(CLI::App& command, train::TrainConfig& c) {
  command.add_option("--model", c.model, "model name (see `trit summary --help`)")
      ->check(model_name_check())
      ->capture_default_str();
  add_dataset_option(command, c.dataset);
  command.add_option("--data", c.data_dir, "folder with the dataset's files (default: ./run.sh's)");
  command.add_option("--epochs", c.epochs, "epochs to train")->check(kCount)
      ->capture_default_str();
  command.add_option("--batch", c.batch, "mini-batch size")->check(kCount)
      ->capture_default_str();
  command.add_option("--optimizer", c.optimizer, "sgd | adam | adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  command.add_option("--lr", c.lr, "learning rate")->check(kPositive)
      ->capture_default_str();
  command.add_option("--momentum", c.momentum, "SGD momentum")
      ->check(kUnitInterval)
      ->capture_default_str();
  command.add_flag("--nesterov", c.nesterov, "SGD with Nesterov momentum");
  command.add_option("--weight-decay", c.weight_decay, "weight decay")
      ->check(kNonNegative)
      ->capture_default_str();
  command.add_option("--schedule", c.schedule, "constant | step | cosine | linear")
      ->check(CLI::IsMember({"constant", "step", "cosine", "linear"}))
      ->capture_default_str();
  command.add_option("--final-lr", c.final_lr, "cosine/linear: the last learning rate")
      ->check(kNonNegative)
      ->capture_default_str();
  command
      .add_option("--decay-start", c.decay_start,
                  "linear: epochs at the full lr before the decay (VNQ DenseNet: 50)")
      ->check(kNonNegative)
      ->capture_default_str();
  command.add_option("--step-every", c.step_every, "step: epochs between decays")
      ->check(kCount)
      ->capture_default_str();
  command.add_option("--step-gamma", c.step_gamma, "step: decay factor")
      ->check(kPositive)
      ->capture_default_str();
  command.add_option("--warmup", c.warmup_epochs, "linear warm-up epochs")
      ->check(kNonNegative)
      ->capture_default_str();
  command.add_flag("--augment", c.augment, "pad-crop-flip augmentation (C10+)");
  command.add_option("--seed", c.seed, "random seed")->check(kSeed)->capture_default_str();
  command.add_option("--threads", c.threads, "threads (0: all cores)")->check(kThreads);
}

void add_distributed_options(CLI::App& command, distributed::DataParallelOptions& options) {
  command.add_flag("--sync-bn", options.sync_batch_norm,
                   "under mpirun: BatchNorm statistics over the global batch (default: each "
                   "rank's share, as PyTorch DDP)");
  command.add_flag_callback(
      "--no-overlap", [&options] { options.overlap = false; },
      "under mpirun: sum gradients after backward instead of while it runs");
  command
      .add_option_function<int64_t>(
          "--bucket-kb",
          [&options](const int64_t& kb) { options.bucket_bytes = static_cast<size_t>(kb) * 1024; },
          "under mpirun: gradient bucket size in KiB (default 1024)")
      ->check(kCount);
}

std::string ranks_text() {
  const distributed::Communicator& world = distributed::Communicator::world();
  if (world.size() == 1) return "";
  return " each, " + std::to_string(world.size()) + " ranks";
}

void add_resume_flags(CLI::App& command, bool& reschedule, int64_t& stop_after_epoch) {
  command.add_flag("--reschedule", reschedule,
                   "with --resume and a different --epochs: let a cosine/linear lr schedule "
                   "span the new epochs (refused otherwise)");
  command
      .add_option("--stop-after-epoch", stop_after_epoch,
                  "stop after this epoch (checkpoint saved; --resume continues the run and "
                  "its schedule over --epochs)")
      ->check(kCount);
}

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* command = app.add_subcommand("train", "train a model (or resume a checkpoint)");
  add_train_config_options(*command, args->config);
  command->add_option("--weight-init", args->config.weight_init,
                      "default | glorot (Keras' init, as the VNQ paper pre-trains LeNet-5)")
      ->check(CLI::IsMember({"default", "glorot"}))
      ->capture_default_str();
  command->add_option("--save", args->save, "checkpoint written after every epoch (.safetensors)");
  command->add_option("--resume", args->resume, "continue from this checkpoint")
      ->check(CLI::ExistingFile);
  add_resume_flags(*command, args->reschedule, args->stop_after_epoch);
  command->add_option("--metrics", args->metrics, "append one JSON line per epoch to this file");
  add_distributed_options(*command, args->parallel);
  command->callback([args] { run_train(*args); });
}

}  // namespace trit::cli
