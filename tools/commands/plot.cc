// `trit plot FILE --out DIR`: the VNQ paper's per-layer figures (quant/vnq/plots.h) as PNGs.
//   VNQ checkpoint:     DIR/<layer>_scatter.png (theta vs log sigma^2 with the codebook and
//                       the funnels) and DIR/<layer>_hist.png (weights before / after P&Q).
//   ternary checkpoint: DIR/<layer>_hist.png with the quantised weights only (it holds no
//                       theta or sigma).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "autograd/error.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/plots.h"
#include "tools/commands/commands.h"

namespace trit::cli {
namespace {

struct PlotArgs : CheckpointArgs {
  std::string out;
};

void write(const std::string& path) { std::printf("  %s\n", path.c_str()); }

void plot_vnq(const PlotArgs& args) {
  const quant::VnqModel vnq = quant::load_vnq_model(args.input, args.model, args.log_threshold);
  for (size_t i = 0; i < vnq.layers.size(); ++i) {
    const quant::LayerWeights weights = quant::layer_weights(vnq.names[i], *vnq.layers[i]);
    const std::string stem = args.out + "/" + vnq.names[i];
    quant::plot_vnq_scatter(weights, stem + "_scatter.png");
    write(stem + "_scatter.png");
    quant::plot_weight_histogram(weights, stem + "_hist.png");
    write(stem + "_hist.png");
  }
}

void plot_ternary(const PlotArgs& args, const nn::Metadata& metadata) {
  Rng rng(0);
  const std::string name = args.model.empty() ? quant::checkpoint_model(metadata, args.input) : args.model;
  std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
  quant::load_ternary_checkpoint(args.input, *model);
  for (const auto& [layer_name, layer] : quant::find_ternary(*model)) {
    quant::LayerWeights weights;
    weights.name = layer_name;
    weights.codes = quant::unpack_ternary(layer->weights());
    weights.level = layer->weights().level;
    quant::plot_weight_histogram(weights, args.out + "/" + layer_name + "_hist.png");
    write(args.out + "/" + layer_name + "_hist.png");
  }
}

void run_plot(const PlotArgs& args) {
  const nn::Metadata metadata = nn::load_safetensors(args.input).metadata;
  const bool ternary = quant::is_ternary_checkpoint(metadata);
  check(ternary || quant::is_vnq_checkpoint(metadata), args.input,
        "neither a VNQ nor a ternary checkpoint (metadata kind is not \"vnq\" or \"ternary\")");
  std::error_code error;
  std::filesystem::create_directories(args.out, error);
  check(!error, "--out", "cannot create " + args.out + ": " + error.message());
  std::printf("%s: figures in %s\n", args.input.c_str(), args.out.c_str());
  if (ternary) return plot_ternary(args, metadata);
  plot_vnq(args);
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  CLI::App* command = app.add_subcommand(
      "plot", "per-layer PNGs: theta vs log sigma^2 with the funnels, weight histograms");
  add_checkpoint_options(*command, *args, "a VNQ or ternary checkpoint");
  command->add_option("--out", args->out, "folder for the PNG files (created)")->required();
  command->callback([args] { run_plot(*args); });
}

}  // namespace trit::cli
