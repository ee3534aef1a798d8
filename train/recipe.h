// What a TrainConfig builds: the initialised model, the optimiser, the lr schedule.
#pragma once

#include <memory>
#include <vector>

#include "autograd/random.h"
#include "nn/module.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"
#include "train/config.h"

namespace trit::train {

// A fresh config.model whose parameters are drawn from `rng` by config.weight_init.
std::shared_ptr<nn::Module> make_initialised_model(const TrainConfig& config, Rng& rng);

// config.optimizer ("sgd" | "adam" | "adamw") over `groups`, with the config's lr, momentum,
// Nesterov and weight decay; throws Error for an unknown name.
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                 std::vector<optim::ParamGroup> groups);
// config.schedule over config.epochs, with config.warmup_epochs of warm-up; throws Error for
// an unknown name.
optim::LrSchedule make_schedule(const TrainConfig& config);

}  // namespace trit::train
