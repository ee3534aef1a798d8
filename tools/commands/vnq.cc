// `trit vnq`: Variational Network Quantization of a pre-trained model (shared/spec/vnq.md),
// the command line of train/vnq.h.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "distributed/communicator.h"
#include "nn/atomic_file.h"
#include "tools/commands/commands.h"
#include "train/config.h"
#include "train/data.h"
#include "train/trainer.h"
#include "train/vnq.h"
#include "train/vnq_report.h"

namespace trit::cli {
namespace {

struct VnqArgs {
  train::TrainConfig config;
  quant::VnqConfig vnq;
  std::string level_init = "auto";  // train::resolve_vnq_defaults sets vnq from it
  std::string level_param = "raw";   // read into vnq.level_param
  std::optional<double> kl_warmup;  // unset: train::resolve_vnq_defaults' rule
  std::string init, save, resume, metrics;
  bool reschedule = false;
  int64_t stop_after_epoch = 0;
  distributed::DataParallelOptions parallel;
};

void run_vnq(const VnqArgs& args) {
  const train::TrainConfig& config = args.config;
  const distributed::Communicator& world = distributed::Communicator::world();
  if (!args.save.empty() && world.is_root())
    nn::resolve_save_target(args.save, "--save");  // fail now, not later
  if (config.threads > 0) kernels::set_num_threads(config.threads);
  if (world.is_root())
    std::fprintf(stderr,
                 "trit vnq: model %s from %s, dataset %s, seed %llu, SIMD %s, %d threads%s\n",
                 config.model.c_str(), args.init.c_str(), config.dataset.c_str(),
                 static_cast<unsigned long long>(config.seed), kernels::dispatch_target().c_str(),
                 kernels::num_threads(), ranks_text().c_str());
  const train::DataSplits data = train::load_data(config.dataset, config.data_dir, config.model);
  quant::VnqConfig vnq = args.vnq;
  vnq.level_param = quant::parse_level_param(args.level_param, "--level-param");
  const train::VnqRun run =
      args.resume.empty()
          ? train::start_vnq(config,
                             train::resolve_vnq_defaults(vnq, args.level_init, config.epochs,
                                                         args.kl_warmup),
                             args.init, data)
          : train::resume_vnq(config, args.resume);
  if (args.resume.empty() && world.is_root())
    std::fprintf(stderr, "pre-trained %s: test error %.2f%%\n", args.init.c_str(),
                 100 * run.record.original_error);
  train::Trainer trainer(*run.model, *run.optimizer, data, config,
                         train::vnq_hooks(run, data, config.seed, world.rank()));
  distributed::DataParallel parallel(*run.model, world, args.parallel);
  if (world.size() > 1) trainer.distribute(parallel);
  trainer.set_metadata(quant::vnq_metadata(run.record));
  trainer.set_outputs(args.save, args.metrics);
  if (!args.resume.empty()) trainer.resume(args.resume, args.reschedule);
  trainer.stop_after_epoch(args.stop_after_epoch);
  trainer.run();
  train::print_vnq_table(*run.model, run.layers, data, run.record.original_error);
}

}  // namespace

void add_vnq_command(CLI::App& app) {
  auto args = std::make_shared<VnqArgs>();
  // VNQ defaults for LeNet-5 on MNIST (spec §4.2): Adam, batch 128, lr 1e-3 decaying
  // linearly to 0, 195 epochs; the KL warm-up and level init as train::resolve_vnq_defaults says.
  args->config.batch = 128;
  args->config.schedule = "linear";
  args->config.epochs = 195;
  CLI::App* command = app.add_subcommand("vnq", "Variational Network Quantization training");
  add_train_config_options(*command, args->config);
  command->add_option("--init", args->init, "pre-trained float checkpoint")
      ->check(CLI::ExistingFile);
  command->add_option("--kl-warmup", args->kl_warmup,
                      "epochs of linear KL warm-up (default: 15, the spec's, at most a fifth of "
                      "--epochs)")
      ->check(kNonNegative);
  command->add_option("--kl-delay", args->vnq.kl_delay, "epochs with beta = 0 before warm-up")
      ->check(kNonNegative)
      ->capture_default_str();
  command->add_option("--log-threshold", args->vnq.log_threshold,
                      "pruning threshold log T (camera-ready 2, submission 3)")
      ->capture_default_str();
  command->add_flag("!--no-shadow-weights", args->vnq.shadow_weights,
                    "hard-project theta instead of the straight-through clip");
  command->add_option("--level-init", args->level_init,
                      "initial codebook level a per layer: max-abs (max |w|, the spec's) | "
                      "ternary-fit (TWN fit) | Q in (0,1) (a share Q of weights starts "
                      "nearer 0 than +-a) | auto (max-abs for 100 epochs or more, else 0.65)")
      ->check(CLI::IsMember({"auto", "max-abs", "ternary-fit"}) | CLI::Range(0.01, 0.99))
      ->capture_default_str();
  command->add_option("--level-param", args->level_param,
                      "what the codebook level's optimiser trains: raw (a) | log (log a)")
      ->check(CLI::IsMember({"raw", "log"}))
      ->capture_default_str();
  command->add_option("--log-sigma2-lr-scale", args->vnq.log_sigma2_lr_scale,
                      "learning rate of log sigma^2 as a multiple of --lr (1: the paper's one "
                      "rate; recorded in the checkpoint)")
      ->check(kPositive)
      ->capture_default_str();
  command->add_option("--min-level", args->vnq.min_level, "lower clip of the codebook level a")
      ->check(kPositive)
      ->capture_default_str();
  command->add_option("--keep-float", args->vnq.keep_float,
                      "layers left deterministic (e.g. conv1 for the 'w/o 1' row)");
  command->add_option("--save", args->save, "VNQ checkpoint written after every epoch");
  command->add_option("--resume", args->resume, "continue a VNQ checkpoint")
      ->check(CLI::ExistingFile);
  add_resume_flags(*command, args->reschedule, args->stop_after_epoch);
  command->add_option("--metrics", args->metrics, "JSON lines per epoch");
  add_distributed_options(*command, args->parallel);
  command->callback([args] {
    if (args->init.empty() && args->resume.empty())
      throw CLI::RequiredError("--init (or --resume)");
    run_vnq(*args);
  });
}

}  // namespace trit::cli
