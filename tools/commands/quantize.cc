// `trit quantize FILE --save TERNARY`: pruning and quantisation (shared/spec/vnq.md §5) of a
// VNQ checkpoint into a ternary checkpoint (quant/ternary/checkpoint.h) with 2-bit packed
// weights, which `trit eval` runs. Prints per layer the level a and the non-zero share.
// --bn-reestimate N re-estimates the packed model's BatchNorm statistics on N training
// images before saving (§8.4, not the paper's procedure) and records N in the metadata
// (quant::kBnReestimatedKey), so `trit eval` labels the result.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "nn/atomic_file.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/to_ternary.h"
#include "tools/commands/commands.h"
#include "train/data.h"
#include "train/evaluate.h"

namespace trit::cli {
namespace {

struct QuantizeArgs : CheckpointArgs {
  std::string save, dataset = "mnist", data_dir;
  int64_t bn_reestimate = 0;  // training images; 0: off
};

void run_quantize(const QuantizeArgs& args) {
  nn::resolve_save_target(args.save, "--save");
  const quant::VnqModel vnq = quant::load_vnq_model(args.input, args.model, args.log_threshold);
  const float log_threshold = args.log_threshold.value_or(vnq.record.config.log_threshold);
  std::printf("%s (%s): prune at log alpha >= %g, snap the rest to {-a, 0, +a}\n",
              args.input.c_str(), vnq.model->name().c_str(), log_threshold);
  int width = 20;
  for (const std::string& name : vnq.names) width = std::max(width, static_cast<int>(name.size()));
  std::printf("%-*s %10s %9s %9s\n", width, "layer", "weights", "a", "non-zero");
  for (size_t i = 0; i < vnq.layers.size(); ++i) {
    const quant::CompressionStats stats = quant::compression_stats({vnq.layers[i]});
    std::printf("%-*s %10lld %9.4f %8.1f%%\n", width, vnq.names[i].c_str(),
                static_cast<long long>(stats.weights), vnq.layers[i]->level_value(),
                100 * stats.nonzero_fraction());
  }
  const quant::CompressionStats total = quant::compression_stats(vnq.layers);
  std::printf("%-*s %10lld %9s %8.1f%%\n", width, "total", static_cast<long long>(total.weights),
              "", 100 * total.nonzero_fraction());

  const quant::TernaryLayers layers = quant::make_ternary(*vnq.model);
  int64_t packed_bytes = 0;
  for (const auto& layer : layers)
    packed_bytes += static_cast<int64_t>(layer->weights().bytes.size());
  nn::Metadata metadata = {{"vnq", quant::vnq_metadata(vnq.record).at("vnq")},
                           {"log_threshold", nlohmann::json(log_threshold).dump()}};
  if (args.bn_reestimate > 0) {
    const train::DataSplits data = train::load_data(args.dataset, args.data_dir, vnq.model->name());
    const int64_t images = train::reestimate_batch_norm(*vnq.model, data, args.bn_reestimate);
    metadata[quant::kBnReestimatedKey] = std::to_string(images);
    std::printf("BN running statistics re-estimated on %lld %s training images\n",
                static_cast<long long>(images), args.dataset.c_str());
  }
  quant::save_ternary_checkpoint(args.save, *vnq.model, metadata);
  std::printf("wrote %s: %lld bytes of packed weights (float32: %lld)\n", args.save.c_str(),
              static_cast<long long>(packed_bytes), static_cast<long long>(4 * total.weights));
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* command =
      app.add_subcommand("quantize", "prune and quantise a VNQ checkpoint to packed ternary");
  add_checkpoint_options(*command, *args, "a VNQ checkpoint (trit vnq --save)");
  command->add_option("--save", args->save, "the ternary checkpoint to write")->required();
  add_bn_reestimate_option(*command, args->bn_reestimate,
                           "re-estimate BatchNorm statistics on N training images and store "
                           "them (not the paper's procedure)");
  add_dataset_option(*command, args->dataset, "--bn-reestimate: ");
  command->add_option("--data", args->data_dir, "--bn-reestimate: folder with the dataset's files");
  command->callback([args] { run_quantize(*args); });
}

void add_checkpoint_options(CLI::App& command, CheckpointArgs& args,
                            const std::string& input_help) {
  command.add_option("checkpoint", args.input, input_help)->required()->check(CLI::ExistingFile);
  command.add_option("--model", args.model, "model name (default: the checkpoint's)");
  command.add_option_function<float>(
      "--log-threshold", [&args](const float& value) { args.log_threshold = value; },
      "prune at log alpha >= this (default: the checkpoint's; camera-ready 2)");
}

}  // namespace trit::cli
