#include "nn/models/registry.h"

#include "autograd/error.h"
#include "nn/models/densenet.h"
#include "nn/models/lenet5.h"

namespace trit::nn {
namespace {

std::shared_ptr<Module> densenet_preset(int64_t depth, int64_t growth, bool bottleneck,
                                        float compression, int64_t initial_channels, Rng& rng) {
  DenseNetConfig config;
  config.depth = depth;
  config.growth = growth;
  config.bottleneck = bottleneck;
  config.compression = compression;
  config.initial_channels = initial_channels;
  return std::make_shared<DenseNet>(config, rng);
}

}  // namespace

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
      {"densenet-bc40",
       "DenseNet-BC for CIFAR (depth 40, k 12, bottleneck, compression 0.5, stem 24; 176,122 "
       "parameters)",
       {3, 32, 32},
       [](Rng& rng) { return densenet_preset(40, 12, true, 0.5f, 24, rng); }},
      {"densenet-b76",
       "DenseNet-B, the VNQ paper's CIFAR net (depth 76, k 12, bottleneck, no compression, "
       "stem 16; 721,642 parameters)",
       {3, 32, 32},
       [](Rng& rng) { return densenet_preset(76, 12, true, 1.0f, 16, rng); }},
      {"densenet40",
       "DenseNet for CIFAR (depth 40, k 12, no bottleneck, no compression, stem 16; "
       "1,019,722 parameters)",
       {3, 32, 32},
       [](Rng& rng) { return densenet_preset(40, 12, false, 1.0f, 16, rng); }},
      {"densenet-tiny",
       "A tiny DenseNet-BC for tests (depth 10, k 4, bottleneck, compression 0.5, stem 8)",
       {3, 32, 32},
       [](Rng& rng) { return densenet_preset(10, 4, true, 0.5f, 8, rng); }},
  };
  return specs;
}

std::vector<std::string> model_names() { return names_of(model_specs()); }

const ModelSpec& model_spec(const std::string& name) {
  return find_by_name(model_specs(), name, "make_model", "model");
}

std::shared_ptr<Module> make_model(const std::string& name, Rng& rng) {
  std::shared_ptr<Module> model = model_spec(name).build(rng);
  model->set_name(name);
  return model;
}

}  // namespace trit::nn
