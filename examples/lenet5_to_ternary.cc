// LeNet-5 on MNIST from scratch to a packed ternary network, through library calls alone:
// float training, Variational Network Quantization (shared/spec/vnq.md), pruning and
// quantisation into 2-bit weights, and the test accuracy of each. Exits 1 unless every packed
// weight is -a, 0 or +a and the ternary model classifies more than half the test set.
//
//   build/release/examples/lenet5_to_ternary [MNIST_DIR [EPOCHS [VNQ_EPOCHS [OUT_DIR]]]]
//   (defaults: data/mnist, 5, 20, .): writes OUT_DIR/lenet5.safetensors,
//   OUT_DIR/lenet5-vnq.safetensors and OUT_DIR/lenet5-ternary.safetensors.
#include <cmath>
#include <cstdio>
#include <string>

#include "autograd/error.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/ternary/pack.h"
#include "quant/vnq/to_ternary.h"
#include "train/evaluate.h"
#include "train/recipe.h"
#include "train/trainer.h"
#include "train/vnq.h"

using namespace trit;

int main(int argc, char** argv) try {
  const std::string data_dir = argc > 1 ? argv[1] : "data/mnist";
  const std::string out = argc > 4 ? std::string(argv[4]) + "/" : "";

  // 1. The float model: Adam, lr 1e-3 cosine-annealed, batch 64 (TrainConfig's defaults).
  train::TrainConfig config;
  config.model = "lenet5";
  config.epochs = argc > 2 ? std::stoll(argv[2]) : 5;
  const train::DataSplits data = train::load_data("mnist", data_dir, config.model);
  Rng rng(config.seed);
  auto model = train::make_initialised_model(config, rng);
  auto optimizer = train::make_optimizer(config, {{model->parameters(), 1.0f, {}}});
  train::Trainer trainer(*model, *optimizer, data, config);
  trainer.set_outputs(out + "lenet5.safetensors", "");
  trainer.run();

  // 2. VNQ from it: Adam, batch 128, lr 1e-3 decaying linearly, the settings' defaults for
  //    a run of this length (train::resolve_vnq_defaults).
  train::TrainConfig vnq_config = config;
  vnq_config.epochs = argc > 3 ? std::stoll(argv[3]) : 20;
  vnq_config.batch = 128;
  vnq_config.schedule = "linear";
  const quant::VnqConfig vnq =
      train::resolve_vnq_defaults(quant::VnqConfig{}, "auto", vnq_config.epochs, {});
  const train::VnqRun run = train::start_vnq(vnq_config, vnq, out + "lenet5.safetensors", data);
  train::Trainer vnq_trainer(*run.model, *run.optimizer, data, vnq_config,
                             train::vnq_hooks(run, data, vnq_config.seed));
  vnq_trainer.set_metadata(quant::vnq_metadata(run.record));
  vnq_trainer.set_outputs(out + "lenet5-vnq.safetensors", "");
  vnq_trainer.run();

  // 3. Prune (log alpha >= log T) and snap the rest to {-a, 0, +a}; pack to 2 bits a weight.
  const quant::CompressionStats stats = quant::compression_stats(run.layers);
  const quant::TernaryLayers ternary = quant::make_ternary(*run.model);
  int64_t off_codebook = 0;  // weights not in {-a, 0, +a}: none, by construction
  for (const auto& layer : ternary) {
    const quant::PackedTernary& w = layer->weights();
    const Tensor weights = quant::ternary_to_float(w);
    for (int64_t i = 0; i < weights.numel(); ++i)
      off_codebook += weights.data()[i] != 0.0f && std::abs(weights.data()[i]) != w.level;
  }
  quant::save_ternary_checkpoint(out + "lenet5-ternary.safetensors", *run.model,
                                 {{"vnq", quant::vnq_metadata(run.record).at("vnq")}});
  const double accuracy = train::evaluate_accuracy(*run.model, data.test, data.normalization);
  std::printf("float test error %.2f%%; ternary: %.1f%% of %lld weights non-zero, "
              "test error %.2f%%\n",
              100 * run.record.original_error, 100 * stats.nonzero_fraction(),
              static_cast<long long>(stats.weights), 100 * (1 - accuracy));
  std::printf("%zu ternary layers, %lld weights outside {-a, 0, +a}\n", ternary.size(),
              static_cast<long long>(off_codebook));
  return off_codebook == 0 && accuracy > 0.5 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lenet5_to_ternary: %s\n", e.what());
  return 1;
}
