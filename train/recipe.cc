#include "train/recipe.h"

#include "autograd/error.h"
#include "nn/init.h"
#include "nn/models/registry.h"
#include "optim/adam.h"
#include "optim/sgd.h"

namespace trit::train {

std::shared_ptr<nn::Module> make_initialised_model(const TrainConfig& config, Rng& rng) {
  std::shared_ptr<nn::Module> model = nn::make_model(config.model, rng);
  if (config.weight_init == "glorot") {
    nn::init::glorot_(*model, rng);
  } else if (config.weight_init != "default") {
    throw_unknown("--weight-init", "rule", config.weight_init, {"default", "glorot"});
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

}  // namespace trit::train
