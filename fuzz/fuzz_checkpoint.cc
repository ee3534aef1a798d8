// Fuzzes the float checkpoint loaders (nn/checkpoint.cc read_checkpoint and load_checkpoint
// over load_safetensors, Module::load_state_dict; train/checkpoint.cc with
// Optimizer::load_state_dict) and the resume checks of the run's config JSON
// (train/trainer.cc Trainer::resume: TrainConfig::from_json,
// check_resumable_from), as `trit train --resume` and `trit eval` / `trit vnq --init` load it.
//
// Input: the bytes of a checkpoint .safetensors file. It is loaded three times into one
// densenet-tiny (built once; its 8-30 KB checkpoints keep the harness fast, and it has BN
// buffers): by a Trainer resuming with Adam, by one resuming with SGD (momentum), and
// model-only (no optimiser).
//
// Expected: trit::Error for every malformed file (see fuzz_safetensors.cc), another model or
// optimiser, missing or malformed metadata (format, epoch, step, rng, config JSON), missing,
// unexpected or mis-shaped tensors and optimiser state, a config that changes the run. A
// failed load_checkpoint must leave model and optimiser unchanged (checked; resume's config
// checks come after the load, their errors "training config: ..." and "--resume ..." end the
// CLI with the model loaded, so they are not checked). Anything else is a finding.
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_common.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "train/config.h"
#include "train/data.h"
#include "train/recipe.h"
#include "train/trainer.h"

namespace {

using trit::train::TrainConfig;

struct Setup {
  std::shared_ptr<trit::nn::Module> model;
  std::unique_ptr<trit::optim::Optimizer> adam, sgd;
  trit::train::DataSplits data;  // resume reads none
  std::unique_ptr<trit::train::Trainer> resume_adam, resume_sgd;

  Setup() {
    trit::Rng rng(1);
    model = trit::nn::make_model("densenet-tiny", rng);
    TrainConfig adam_config;
    adam_config.model = "densenet-tiny";
    adam_config.optimizer = "adam";
    TrainConfig sgd_config = adam_config;
    sgd_config.optimizer = "sgd";
    sgd_config.lr = 0.1f;
    sgd_config.schedule = "cosine";
    adam = trit::train::make_optimizer(adam_config, {{model->parameters(), 1.0f, {}}});
    sgd = trit::train::make_optimizer(sgd_config, {{model->parameters(), 1.0f, {}}});
    resume_adam = std::make_unique<trit::train::Trainer>(*model, *adam, data, adam_config);
    resume_sgd = std::make_unique<trit::train::Trainer>(*model, *sgd, data, sgd_config);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup setup;
  const std::string path = trit::fuzz::input_file("checkpoint.safetensors", data, size);
  const auto attempt = [&](const char* what, trit::optim::Optimizer* optimizer, auto&& load) {
    const trit::fuzz::Snapshot before(*setup.model, optimizer);
    std::string error;
    if (trit::fuzz::expect_error(load, &error)) return;
    if (error.rfind("training config:", 0) == 0 || error.rfind("--resume ", 0) == 0) return;
    before.expect_unchanged(what);
  };
  attempt("Trainer::resume (Adam)", setup.adam.get(), [&] { setup.resume_adam->resume(path); });
  attempt("Trainer::resume (SGD)", setup.sgd.get(), [&] { setup.resume_sgd->resume(path); });
  attempt("load_checkpoint (model only)", nullptr,
          [&] { trit::nn::load_checkpoint(path, *setup.model); });
  return 0;
}
