#include "nn/models/registry.h"

#include "autograd/error.h"
#include "nn/models/lenet5.h"

namespace trit::nn {

const std::vector<ModelSpec>& model_specs() {
  static const std::vector<ModelSpec> specs = {
      {"lenet5",
       "LeNet-5-Caffe (20-50-500-10, 431,080 parameters), the VNQ paper's model",
       {1, 28, 28},
       [](Rng& rng) { return lenet5_caffe(rng); }},
      {"lenet5-classic",
       "LeNet-5 as LeCun et al. 1998 with ReLU and max pooling (6-16-120-84-10)",
       {1, 28, 28},
       [](Rng& rng) { return lenet5_classic(rng); }},
  };
  return specs;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const ModelSpec& spec : model_specs()) names.push_back(spec.name);
  return names;
}

const ModelSpec& model_spec(const std::string& name) {
  std::string known;
  for (const ModelSpec& spec : model_specs()) {
    if (spec.name == name) return spec;
    known += (known.empty() ? "" : ", ") + spec.name;
  }
  throw Error("make_model: unknown model '" + name + "'; known models: " + known);
}

std::shared_ptr<Module> make_model(const std::string& name, Rng& rng) {
  std::shared_ptr<Module> model = model_spec(name).build(rng);
  model->set_name(name);
  return model;
}

}  // namespace trit::nn
