#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"

namespace trit::optim {
namespace {

std::string param_key(size_t group, size_t param) {
  return "group" + std::to_string(group) + ".param" + std::to_string(param);
}

// Reads the decimal number after `prefix` at `pos`, advancing pos; false if absent.
bool read_index(const std::string& key, const std::string& prefix, size_t& pos, size_t& value) {
  if (key.compare(pos, prefix.size(), prefix) != 0) return false;
  pos += prefix.size();
  const size_t start = pos;
  value = 0;
  while (pos < key.size() && key[pos] >= '0' && key[pos] <= '9' && pos - start < 9)
    value = value * 10 + static_cast<size_t>(key[pos++] - '0');
  return pos > start;
}

}  // namespace

Optimizer::Optimizer(std::string kind, std::vector<ParamGroup> groups, float lr, float weight_decay,
                     std::vector<std::string> buffers)
    : kind_(std::move(kind)), groups_(std::move(groups)), lr_(lr), buffers_(std::move(buffers)) {
  std::vector<Tensor> seen;
  for (ParamGroup& group : groups_) {
    if (!group.weight_decay) group.weight_decay = weight_decay;
    for (const Tensor& p : group.params) {
      check(p.defined(), kind_, "a parameter group holds an undefined tensor");
      check(std::none_of(seen.begin(), seen.end(), [&](const Tensor& s) { return s.is_same(p); }),
            kind_, "a parameter appears twice in the parameter groups");
      seen.push_back(p);
    }
    state_.emplace_back(group.params.size());
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor& param = group.params[i];
      if (!param.has_grad()) continue;
      update(param, param.grad(), lr_ * group.lr_scale, *group.weight_decay, state_[g][i]);
    }
  }
}

void Optimizer::zero_grad() {
  for (ParamGroup& group : groups_)
    for (Tensor& p : group.params) p.zero_grad();
}

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  for (size_t g = 0; g < state_.size(); ++g)
    for (size_t i = 0; i < state_[g].size(); ++i)
      for (const auto& [buffer, tensor] : state_[g][i])
        out.emplace(param_key(g, i) + "." + buffer, tensor.detach());
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) {
  const std::string where = "load_state_dict (" + kind_ + ")";
  std::vector<std::vector<ParamState>> loaded;
  for (const ParamGroup& group : groups_) loaded.emplace_back(group.params.size());
  for (const auto& [key, tensor] : state) {
    size_t pos = 0, g = 0, i = 0;
    const bool parsed = read_index(key, "group", pos, g) && read_index(key, ".param", pos, i) &&
                        pos < key.size() && key[pos] == '.';
    check(parsed, where, "unexpected state name " + key);
    check(g < groups_.size() && i < groups_[g].params.size(), where,
          key + " names a parameter this optimiser does not have");
    const std::string buffer = key.substr(pos + 1);
    check(std::count(buffers_.begin(), buffers_.end(), buffer) == 1, where,
          key + ": " + kind_ + " has no state named " + buffer);
    const Shape want = buffer == "step" ? Shape{} : groups_[g].params[i].shape();
    check(tensor.shape() == want, where,
          key + " has shape " + to_string(tensor.shape()) + " in the checkpoint but " +
              to_string(want) + " here");
    check(buffer != "step" || (tensor.item() >= 1.0f && tensor.item() == std::floor(tensor.item())),
          where, key + " is not a positive whole number");
    loaded[g][i].emplace(buffer, tensor.clone());
  }
  for (size_t g = 0; g < loaded.size(); ++g)
    for (size_t i = 0; i < loaded[g].size(); ++i)
      check(loaded[g][i].empty() || loaded[g][i].size() == buffers_.size(), where,
            param_key(g, i) + " has only part of its state");
  state_ = std::move(loaded);
}

}  // namespace trit::optim
