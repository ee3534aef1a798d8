// Checkpoints with optimiser state: what a training run saves after every epoch and resumes
// from. The file format is nn/checkpoint.h's; the optimiser's state dict is stored under
// "optimizer." and its kind in the metadata, so a model-only reader (nn::load_checkpoint)
// loads the same file.
#pragma once

#include <string>

#include "nn/checkpoint.h"
#include "nn/module.h"
#include "optim/optimizer.h"

namespace trit::train {

void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, const nn::TrainingState& state);

// Loads the model's state (strict) and the optimiser's, and returns the training state.
// Throws Error naming the file when the checkpoint holds another model or another
// optimiser's kind, was saved without optimiser state, or a tensor is missing, misshapen,
// not floating point or not finite; neither model nor optimiser is changed then.
nn::TrainingState load_checkpoint(const std::string& path, nn::Module& model,
                                  optim::Optimizer& optimizer);

}  // namespace trit::train
