#include "nn/batch_norm_recalibration.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "nn/batch_norm.h"
#include "nn/init.h"

namespace trit::nn {
namespace {

// Records the training mode of a model and of each descendant, and each BatchNorm2d's
// momentum; puts them back when destroyed (also when a forward pass throws).
class ModeRestorer {
 public:
  explicit ModeRestorer(Module& model) : model_(model), model_training_(model.is_training()) {
    for (const auto& [name, module] : model.named_modules()) {
      modes_.emplace_back(module, module->is_training());
      if (auto norm = std::dynamic_pointer_cast<BatchNorm2d>(module))
        momenta_.emplace_back(norm, norm->momentum());
    }
  }
  ~ModeRestorer() {
    model_.train(model_training_);
    for (const auto& [module, training] : modes_) module->train(training);  // parents first
    for (const auto& [norm, momentum] : momenta_) norm->set_momentum(momentum);
  }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

  const std::vector<std::pair<std::shared_ptr<BatchNorm2d>, float>>& norms() const {
    return momenta_;
  }

 private:
  Module& model_;
  bool model_training_;
  std::vector<std::pair<std::shared_ptr<Module>, bool>> modes_;
  std::vector<std::pair<std::shared_ptr<BatchNorm2d>, float>> momenta_;
};

}  // namespace

int64_t recalibrate_batch_norm(Module& model, const BatchSource& next_batch) {
  NoGradGuard no_grad;
  const ModeRestorer restorer(model);
  check(!restorer.norms().empty(), "recalibrate_batch_norm",
        "model " + model.name() + " has no BatchNorm2d");
  Tensor images;
  check(next_batch(images), "recalibrate_batch_norm", "no batch to estimate statistics from");
  model.eval();
  for (const auto& [norm, momentum] : restorer.norms()) {
    norm->train();
    Tensor mean = norm->running_mean(), var = norm->running_var();
    init::constant_(mean, 0.0f);
    init::constant_(var, 1.0f);
  }
  int64_t batches = 0;
  do {
    ++batches;
    for (const auto& [norm, momentum] : restorer.norms())
      norm->set_momentum(1.0f / static_cast<float>(batches));
    model(images);
  } while (next_batch(images));
  return batches;
}

}  // namespace trit::nn
