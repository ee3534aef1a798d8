#include "nn/module.h"

#include <algorithm>

#include "autograd/error.h"

namespace trit::nn {
namespace {

thread_local ForwardObserver forward_observer;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

void set_forward_observer(ForwardObserver observer) { forward_observer = std::move(observer); }

Module::Module(std::string type) : type_(std::move(type)), name_(type_) {}

Tensor Module::operator()(const Tensor& input) {
  Tensor output = forward(input);
  if (forward_observer) forward_observer(*this, output);
  return output;
}

void Module::check_new_name(const std::string& name, const char* where) const {
  check(!name.empty() && name.find('.') == std::string::npos, where,
        type_ + ": invalid name '" + name + "' (must be non-empty, without '.')");
  const auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& p) { return p.first == name; });
  };
  check(!taken(parameters_) && !taken(buffers_) && !taken(children_), where,
        type_ + " already has a member named " + name);
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_new_name(name, "register_parameter");
  value.set_requires_grad(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "register_buffer");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "register_module");
  check(module != nullptr, "register_module", type_ + ": child " + name + " is null");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  check(module != nullptr, "replace_child", type_ + ": replacement for " + name + " is null");
  for (auto& [child_name, child] : children_) {
    if (child_name == name) {
      child = std::move(module);
      return;
    }
  }
  throw Error("replace_child: " + type_ + " has no child named " + name);
}

void Module::collect(bool buffers, const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, tensor] : buffers ? buffers_ : parameters_)
    out.emplace_back(prefix + name, tensor);
  for (const auto& [name, child] : children_) child->collect(buffers, prefix + name + ".", out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect(false, "", out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect(true, "", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const auto& named : named_parameters()) out.push_back(named.second);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

Module::NamedModules Module::named_modules() const {
  NamedModules out;
  for (const auto& [name, child] : children_) {
    out.emplace_back(name, child);
    for (const auto& [sub_name, sub] : child->named_modules())
      out.emplace_back(name + "." + sub_name, sub);
  }
  return out;
}

void Module::train(bool training) {
  training_ = training;
  for (const auto& child : children_) child.second->train(training);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

StateDict Module::state_dict() const {
  StateDict state;
  for (const auto& [name, tensor] : named_parameters()) state.emplace(name, tensor.detach());
  for (const auto& [name, tensor] : named_buffers()) state.emplace(name, tensor.detach());
  return state;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  // In registration order (parameters, then buffers), so messages read like the model.
  NamedTensors own = named_parameters();
  for (auto& entry : named_buffers()) own.push_back(std::move(entry));
  std::vector<std::string> problems, missing, unexpected;
  for (const auto& [name, tensor] : own) {
    const auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
    } else if (it->second.shape() != tensor.shape()) {
      problems.push_back(name + " has shape " + to_string(it->second.shape()) +
                         " in the checkpoint but " + to_string(tensor.shape()) + " in model " +
                         name_);
    }
  }
  for (const auto& entry : state) {
    const auto known = [&](const auto& o) { return o.first == entry.first; };
    if (std::none_of(own.begin(), own.end(), known)) unexpected.push_back(entry.first);
  }
  if (strict && !missing.empty())
    problems.push_back("the checkpoint lacks " + join(missing) + " of model " + name_);
  if (strict && !unexpected.empty())
    problems.push_back("the checkpoint has " + join(unexpected) + ", which model " + name_ +
                       " does not have");
  if (!problems.empty()) {
    std::string message;
    for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
    throw Error("load_state_dict: " + message);
  }
  for (auto& [name, tensor] : own) {
    const auto it = state.find(name);
    if (it != state.end())
      std::copy(it->second.data(), it->second.data() + tensor.numel(), tensor.data());
  }
}

}  // namespace trit::nn
