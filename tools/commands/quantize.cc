// `trit quantize FILE --save TERNARY`: pruning and quantisation (shared/spec/vnq.md §5) of a
// VNQ checkpoint into a ternary checkpoint (quant/ternary_checkpoint.h) with 2-bit packed
// weights, which `trit eval` runs. Prints per layer the level a and the non-zero share.
#include <cstdio>
#include <memory>
#include <optional>

#include "quant/ternary_checkpoint.h"
#include "quant/ternary_layers.h"
#include "tools/commands/commands.h"
#include "tools/commands/vnq_checkpoint.h"

namespace trit::cli {
namespace {

struct QuantizeArgs : CheckpointArgs {
  std::string save;
};

void run_quantize(const QuantizeArgs& args) {
  const VnqModel vnq = load_vnq_model(args.input, args.model, args.log_threshold);
  const float log_threshold = args.log_threshold.value_or(vnq.settings.log_threshold);
  std::printf("%s (%s): prune at log alpha >= %g, snap the rest to {-a, 0, +a}\n",
              args.input.c_str(), vnq.model->name().c_str(), log_threshold);
  std::printf("%-20s %10s %9s %9s\n", "layer", "weights", "a", "non-zero");
  for (size_t i = 0; i < vnq.layers.size(); ++i) {
    const quant::CompressionStats stats = quant::compression_stats({vnq.layers[i]});
    std::printf("%-20s %10lld %9.4f %8.1f%%\n", vnq.names[i].c_str(),
                static_cast<long long>(stats.weights), vnq.layers[i]->level().item(),
                100 * stats.nonzero_fraction());
  }
  const quant::CompressionStats total = quant::compression_stats(vnq.layers);
  std::printf("%-20s %10lld %9s %8.1f%%\n", "total", static_cast<long long>(total.weights), "",
              100 * total.nonzero_fraction());

  const quant::TernaryLayers layers = quant::make_ternary(*vnq.model);
  int64_t packed_bytes = 0;
  for (const auto& layer : layers)
    packed_bytes += static_cast<int64_t>(layer->weights().bytes.size());
  quant::save_ternary_checkpoint(args.save, *vnq.model,
                                 {{"vnq", vnq.settings.to_metadata().at("vnq")},
                                  {"log_threshold", nlohmann::json(log_threshold).dump()}});
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
