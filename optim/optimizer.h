// Optimizer: the base of SGD, Adam and AdamW, in the PyTorch mould.
//
// Contract
// - Parameters come in groups. A group's learning rate is the optimiser's lr() times the
//   group's lr_scale (VNQ trains its codebook at lr_scale = 0.01), and it has its own
//   weight decay (unset: the optimiser's default). A tensor may be in one group only.
// - step() updates, under NoGradGuard, every parameter that has a gradient; parameters
//   without one are skipped and their state does not advance (as PyTorch). zero_grad()
//   drops the gradients.
// - The per-parameter state (momentum buffers, Adam moments and step counts) is created at
//   a parameter's first update. state_dict() names it "group<g>.param<i>.<buffer>", e.g.
//   "group0.param3.exp_avg"; its tensors share storage with the optimiser (save them
//   before the next step). load_state_dict() checks indices, buffer names and shapes,
//   takes copies, and then the next step() is bit-identical to an uninterrupted run.
//   Hyper-parameters and lr are not part of the state: the run's config and the lr
//   schedule give them back.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "nn/module.h"

namespace trit::optim {

struct ParamGroup {
  std::vector<Tensor> params;
  float lr_scale = 1.0f;
  std::optional<float> weight_decay;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  // "sgd", "adam", "adamw": written to checkpoints and checked on resume.
  const std::string& kind() const { return kind_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }

  nn::StateDict state_dict() const;
  void load_state_dict(const nn::StateDict& state);

 protected:
  using ParamState = std::map<std::string, Tensor>;
  // `buffers`: the names of the state a parameter gets at its first update (every one has
  // the parameter's shape except "step", a 0-d count).
  Optimizer(std::string kind, std::vector<ParamGroup> groups, float lr, float weight_decay,
            std::vector<std::string> buffers);
  // Updates one parameter in place; `state` is empty at its first update.
  virtual void update(Tensor& param, const Tensor& grad, float lr, float weight_decay,
                      ParamState& state) = 0;

 private:
  std::string kind_;
  std::vector<ParamGroup> groups_;
  float lr_;
  std::vector<std::string> buffers_;
  std::vector<std::vector<ParamState>> state_;  // [group][param]
};

}  // namespace trit::optim
