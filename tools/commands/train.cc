// `trit train`: train a registered model on a dataset, with checkpoints and metrics.
#include <cstdio>
#include <memory>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "tools/commands/commands.h"
#include "tools/trainer.h"

namespace trit::cli {
namespace {

struct TrainArgs {
  TrainConfig config;
  std::string save, resume, metrics;
};

void run_train(const TrainArgs& args) {
  const TrainConfig& config = args.config;
  if (config.threads > 0) kernels::set_num_threads(config.threads);
  std::fprintf(stderr, "trit train: model %s, dataset %s, seed %llu, SIMD %s, %d threads\n",
               config.model.c_str(), config.dataset.c_str(),
               static_cast<unsigned long long>(config.seed), kernels::dispatch_target().c_str(),
               kernels::num_threads());
  const DataSplits data = load_data(config.dataset, config.data_dir);
  Rng rng(config.seed);
  std::shared_ptr<nn::Module> model = make_initialised_model(config, rng);
  auto optimizer = make_optimizer(config, {optim::ParamGroup{model->parameters(), 1.0f, {}}});
  Trainer trainer(*model, *optimizer, data, config);
  if (!args.resume.empty()) trainer.resume(args.resume);
  trainer.set_outputs(args.save, args.metrics);
  const std::vector<EpochStats> history = trainer.run();
  const double accuracy = history.empty()
                              ? evaluate_accuracy(*model, data.test, data.normalization)
                              : history.back().test_accuracy;
  std::printf("%s on %s: test accuracy %.2f%% (error %.2f%%)\n", config.model.c_str(),
              config.dataset.c_str(), 100 * accuracy, 100 * (1 - accuracy));
  if (!args.save.empty()) std::printf("checkpoint: %s\n", args.save.c_str());
}

}  // namespace

void add_train_config_options(CLI::App& command, TrainConfig& c) {
  command.add_option("--model", c.model, "model name (see `trit summary --help`)")
      ->capture_default_str();
  command.add_option("--dataset", c.dataset, "mnist | fashion-mnist | cifar10")
      ->check(CLI::IsMember({"mnist", "fashion-mnist", "cifar10"}))
      ->capture_default_str();
  command.add_option("--data", c.data_dir, "folder with the dataset's files (default: ./run.sh's)");
  command.add_option("--epochs", c.epochs, "epochs to train")->check(kPositive)
      ->capture_default_str();
  command.add_option("--batch", c.batch, "mini-batch size")->check(kPositive)
      ->capture_default_str();
  command.add_option("--optimizer", c.optimizer, "sgd | adam | adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  command.add_option("--lr", c.lr, "learning rate")->check(kPositive)
      ->capture_default_str();
  command.add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  command.add_flag("--nesterov", c.nesterov, "SGD with Nesterov momentum");
  command.add_option("--weight-decay", c.weight_decay, "weight decay")->capture_default_str();
  command.add_option("--schedule", c.schedule, "constant | step | cosine | linear")
      ->check(CLI::IsMember({"constant", "step", "cosine", "linear"}))
      ->capture_default_str();
  command.add_option("--final-lr", c.final_lr, "cosine/linear: the last learning rate")
      ->capture_default_str();
  command
      .add_option("--decay-start", c.decay_start,
                  "linear: epochs at the full lr before the decay (VNQ DenseNet: 50)")
      ->check(kNonNegative)
      ->capture_default_str();
  command.add_option("--step-every", c.step_every, "step: epochs between decays")
      ->capture_default_str();
  command.add_option("--step-gamma", c.step_gamma, "step: decay factor")->capture_default_str();
  command.add_option("--warmup", c.warmup_epochs, "linear warm-up epochs")->capture_default_str();
  command.add_flag("--augment", c.augment, "pad-crop-flip augmentation (C10+)");
  command.add_option("--seed", c.seed, "random seed")->capture_default_str();
  command.add_option("--threads", c.threads, "threads (0: all cores)")->check(kNonNegative);
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
  command->add_option("--metrics", args->metrics, "append one JSON line per epoch to this file");
  command->callback([args] { run_train(*args); });
}

}  // namespace trit::cli
