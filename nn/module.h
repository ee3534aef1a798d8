// Module: the base of every layer and model, in the PyTorch mould.
//
// Contract
// - A module owns named parameters (tensors with requires_grad, trained by an optimiser),
//   named buffers (state that is saved but not trained, e.g. BatchNorm running stats) and
//   named children (shared_ptr<Module>). Subclasses register them in their constructor.
// - Names are dotted paths from the module they are asked of: own tensors first in
//   registration order, then each child's, depth-first: "features.0.weight".
// - train()/eval() set the mode of the module and of every descendant; new modules train.
// - state_dict() maps every parameter and buffer name to a tensor that SHARES storage with
//   the module (PyTorch semantics; clone() to snapshot). load_state_dict() copies values
//   into the existing storage, so handles that layers keep stay valid. It checks every
//   name and shape before copying anything: on error the module is unchanged.
// - Modules are neither copyable nor movable (children are shared by pointer).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace trit::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using StateDict = std::map<std::string, Tensor>;

class Module {
 public:
  // `type` names the class in summaries and messages ("Conv2d", "Sequential").
  explicit Module(std::string type);
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& input) = 0;
  // forward(), reported to the thread's forward observer if one is set (summary() uses it).
  // Containers call their children this way.
  Tensor operator()(const Tensor& input);

  const std::string& type() const { return type_; }
  // One line for summaries, e.g. "Linear(800, 500)"; defaults to type().
  virtual std::string repr() const { return type_; }
  // The name used in messages ("model lenet5-classic"); defaults to type().
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;  // total elements over parameters()

  using NamedModules = std::vector<std::pair<std::string, std::shared_ptr<Module>>>;
  // Direct children in registration order.
  const NamedModules& children() const { return children_; }
  // Every descendant with its dotted path, depth-first, parents before children (this
  // module itself is not included: it may not be owned by a shared_ptr).
  NamedModules named_modules() const;
  // Swaps the direct child `name` for `module`, keeping its position (VNQ swaps Linear and
  // Conv2d layers for variational twins this way). Throws if there is no such child.
  void replace_child(const std::string& name, std::shared_ptr<Module> module);

  // Sets training mode here and in every descendant.
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops the gradient of every parameter (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  StateDict state_dict() const;
  // strict: every name of the module must be in `state` and nothing else may be.
  // Not strict: missing and unexpected names are skipped. Shape mismatches always throw
  // "load_state_dict: conv1.weight has shape [20,1,5,5] in the checkpoint but [6,1,5,5]
  // in model lenet5-classic".
  void load_state_dict(const StateDict& state, bool strict = true);

 protected:
  // Registers `value` as a parameter (marks it requires_grad) and returns the handle.
  Tensor register_parameter(const std::string& name, Tensor value);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void check_new_name(const std::string& name, const char* where) const;
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  // Appends own (parameters or buffers) then the children's, names prefixed.
  void collect(bool buffers, const std::string& prefix, NamedTensors& out) const;

  std::string type_;
  std::string name_;
  bool training_ = true;
  NamedTensors parameters_;
  NamedTensors buffers_;
  NamedModules children_;
};

// Called after every Module::operator() on this thread while set (an empty function
// clears it). For tools that trace a forward pass, like summary().
using ForwardObserver = std::function<void(const Module& module, const Tensor& output)>;
void set_forward_observer(ForwardObserver observer);

}  // namespace trit::nn
