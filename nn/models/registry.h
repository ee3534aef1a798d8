// The model registry: every model trit can build, by name (the CLI's --model).
//
// make_model(name, rng) builds the model with freshly initialised parameters drawn from
// `rng` and sets its Module::name() to `name` (checkpoints record and check it). Unknown
// names throw "make_model: unknown model 'x'; known: ..." (the list model_names()
// returns; `trit models` prints each with its description).
// To add a model, add a ModelSpec to the table in registry.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/random.h"
#include "nn/module.h"

namespace trit::nn {

struct ModelSpec {
  std::string name;
  std::string description;  // one line for `trit models`
  Shape input_shape;        // one example, without the batch dimension: {1, 28, 28}
  std::function<std::shared_ptr<Module>(Rng&)> build;
};

const std::vector<ModelSpec>& model_specs();
std::vector<std::string> model_names();
const ModelSpec& model_spec(const std::string& name);  // throws for unknown names
std::shared_ptr<Module> make_model(const std::string& name, Rng& rng);

}  // namespace trit::nn
