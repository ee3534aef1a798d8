#include "train/data.h"

#include "autograd/error.h"
#include "datasets/cifar10.h"
#include "datasets/mnist.h"
#include "nn/models/registry.h"

namespace trit::train {

const std::vector<DatasetSpec>& dataset_specs() {
  static const std::vector<DatasetSpec> specs = {
      {"mnist", datasets::kMnistDir, datasets::load_mnist},
      {"fashion-mnist", "data/fashion-mnist", datasets::load_fashion_mnist},
      {"cifar10", "data/cifar10", datasets::load_cifar10},
  };
  return specs;
}

std::vector<std::string> dataset_names() { return names_of(dataset_specs()); }

const DatasetSpec& dataset_spec(const std::string& name) {
  return find_by_name(dataset_specs(), name, "--dataset", "dataset");
}

std::string default_data_dir(const std::string& dataset) {
  return dataset_spec(dataset).default_dir;
}

namespace {

// The split is not empty and its images have the shape `model` takes (none: any shape).
void check_split(const datasets::ImageDataset& split, const char* name, const std::string& model) {
  check(split.size() > 0, split.source(), "the " + std::string(name) + " split has no images");
  if (model.empty()) return;
  const Shape images{split.channels(), split.height(), split.width()};
  const Shape wanted = nn::model_spec(model).input_shape;
  check(images == wanted, split.source(),
        "the " + std::string(name) + " images are " + to_string(images) + " (channels, height, "
        "width), but model " + model + " takes " + to_string(wanted));
}

}  // namespace

DataSplits load_data(const std::string& dataset, const std::string& dir_flag,
                     const std::string& model) {
  const DatasetSpec& spec = dataset_spec(dataset);
  const std::string dir = dir_flag.empty() ? spec.default_dir : dir_flag;
  DataSplits data;
  data.train = spec.load(dir, datasets::Split::kTrain);
  data.test = spec.load(dir, datasets::Split::kTest);
  check_split(data.train, "training", model);
  check_split(data.test, "test", model);
  data.normalization = datasets::channel_mean_std(data.train);
  return data;
}

}  // namespace trit::train
