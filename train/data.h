// The datasets a training run can name, and both splits of one loaded for training.
//
// The registry is the one list of dataset names (the CLI's --dataset choices come from it):
// mnist, fashion-mnist, cifar10, each with the folder ./run.sh fills and its loader.
#pragma once

#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "datasets/normalization.h"

namespace trit::train {

struct DatasetSpec {
  std::string name;         // --dataset
  std::string default_dir;  // the folder ./run.sh fills: "data/mnist", ...
  datasets::ImageDataset (*load)(const std::string& dir, datasets::Split split);
};

const std::vector<DatasetSpec>& dataset_specs();
std::vector<std::string> dataset_names();
// Throws Error "--dataset: unknown dataset 'x'; known: mnist, fashion-mnist, cifar10".
const DatasetSpec& dataset_spec(const std::string& name);
std::string default_data_dir(const std::string& dataset);

struct DataSplits {
  datasets::ImageDataset train, test;
  datasets::Normalization normalization;  // the training split's per-channel mean/std
};

// Both splits of `dataset` from `dir` ("" = default_data_dir) and the training set's
// per-channel mean/std (test images are normalised with training statistics). Throws Error
// naming the data file or folder when a split is empty or, given a registered `model`, when
// its images do not have the model's input shape (checked here, before any training).
DataSplits load_data(const std::string& dataset, const std::string& dir,
                     const std::string& model = "");

}  // namespace trit::train
