#include "train/checkpoint.h"

#include "autograd/error.h"

namespace trit::train {

void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, const nn::TrainingState& state) {
  nn::save_checkpoint(path, model, state, optimizer.kind(), optimizer.state_dict());
}

nn::TrainingState load_checkpoint(const std::string& path, nn::Module& model,
                                  optim::Optimizer& optimizer) {
  const std::string where = "load_checkpoint: " + path;
  nn::CheckpointContents contents = nn::read_checkpoint(path, model.name());
  check(!contents.optimizer.empty(), where,
        "it holds the model without optimiser state (e.g. from trit strip): a run cannot "
        "resume from it");
  check(contents.optimizer == optimizer.kind(), where,
        "it holds " + contents.optimizer + " state, but the optimiser is " + optimizer.kind());
  // Each load checks everything before it changes anything; if the model's fails after
  // the optimiser's succeeded, the optimiser gets its previous state back.
  const nn::StateDict previous = optimizer.state_dict();
  optimizer.load_state_dict(contents.optimizer_state);
  try {
    model.load_state_dict(contents.model_state, true);
  } catch (const Error&) {
    optimizer.load_state_dict(previous);
    throw;
  }
  return contents.state;
}

}  // namespace trit::train
