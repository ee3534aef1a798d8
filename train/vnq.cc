#include "train/vnq.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "datasets/streams.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "quant/vnq/model.h"
#include "train/evaluate.h"
#include "train/recipe.h"
#include "train/vnq_layers.h"
#include "train/vnq_report.h"

namespace trit::train {
namespace {

constexpr int64_t kPaperLengthEpochs = 100;
constexpr char kShortRunLevelInit[] = "0.65";

// The model made variational as `record` says, and its optimiser.
VnqRun make_run(const TrainConfig& config, std::shared_ptr<nn::Module> model,
                quant::VnqRecord record) {
  VnqRun run;
  run.model = std::move(model);
  run.layers = quant::make_variational(*run.model, record.config, config.seed);
  run.optimizer = make_optimizer(
      config, quant::vnq_param_groups(*run.model, run.layers, 0.01f,
                                      record.config.log_sigma2_lr_scale));
  run.record = std::move(record);
  return run;
}

}  // namespace

quant::VnqConfig resolve_vnq_defaults(quant::VnqConfig vnq, const std::string& level_init,
                                      int64_t epochs, std::optional<double> kl_warmup) {
  const std::string rule = level_init != "auto"             ? level_init
                           : epochs >= kPaperLengthEpochs ? "max-abs"
                                                          : kShortRunLevelInit;
  quant::set_level_init(vnq, rule, "--level-init");
  vnq.kl_warmup = kl_warmup.value_or(std::min(15.0, std::ceil(epochs / 5.0)));
  return vnq;
}

VnqRun start_vnq(const TrainConfig& config, const quant::VnqConfig& vnq,
                 const std::string& init, const DataSplits& data) {
  Rng rng(config.seed);
  std::shared_ptr<nn::Module> model = nn::make_model(config.model, rng);
  nn::load_checkpoint(init, *model);
  quant::VnqRecord record{vnq, -1.0};
  record.original_error = 1.0 - evaluate_accuracy(*model, data.test, data.normalization);
  return make_run(config, std::move(model), std::move(record));
}

VnqRun resume_vnq(const TrainConfig& config, const std::string& checkpoint) {
  Rng rng(config.seed);
  return make_run(config, nn::make_model(config.model, rng), quant::read_vnq_record(checkpoint));
}

TrainHooks vnq_hooks(const VnqRun& run, const DataSplits& data, uint64_t seed, int rank) {
  const quant::VariationalLayers& layers = run.layers;
  const quant::VnqRecord& record = run.record;
  TrainHooks hooks;
  const double train_size = static_cast<double>(data.train.size());
  hooks.extra_loss = [&layers, &record, train_size](double progress) {
    const quant::VnqConfig& vnq = record.config;
    const float beta = quant::kl_weight(progress, vnq.kl_warmup, vnq.kl_delay);
    return quant::total_kl(layers, beta / static_cast<float>(train_size));
  };
  hooks.after_step = [&layers] { quant::project(layers); };
  hooks.on_epoch_start = [&layers, seed, rank](int64_t epoch) {
    for (size_t i = 0; i < layers.size(); ++i) {
      Rng noise = datasets::stream_rng(seed, datasets::Stream::kModelNoise, epoch,
                                       static_cast<int64_t>(i));
      layers[i]->reseed(rank == 0 ? noise : noise.split(static_cast<uint64_t>(rank)));
    }
  };
  // Each epoch's metrics line records what the paper's table tracks: the non-zero share,
  // the test error with the posterior means and after P&Q (spec §5), the share of weights
  // outside every funnel (train/vnq_layers.h) and the KL in nats.
  nn::Module& model = *run.model;
  hooks.on_epoch_end = [&model, &layers, &record, &data, rank](EpochStats& stats) {
    const quant::CompressionStats compression = quant::compression_stats(layers);
    const std::vector<ResultRow> rows = vnq_table(model, layers, data, record.original_error);
    const double means_error = rows[rows.size() - 2].test_error;
    const double pq_error = rows.back().test_error;
    stats.extra["nonzero_fraction"] = compression.nonzero_fraction();
    stats.extra["means_test_error"] = means_error;
    stats.extra["pq_test_error"] = pq_error;
    stats.extra["outside_funnels"] = outside_funnels(layers);
    {
      NoGradGuard no_grad;
      stats.extra["kl"] = quant::total_kl(layers, 1.0f).item();
    }
    if (rank == 0)  // the others' lines would repeat it
      std::fprintf(
          stderr, "  P&Q now: %.1f%% of %lld weights non-zero, test error %.2f%% (means %.2f%%)\n",
          100 * compression.nonzero_fraction(), static_cast<long long>(compression.weights),
          100 * pq_error, 100 * means_error);
  };
  return hooks;
}

}  // namespace trit::train
