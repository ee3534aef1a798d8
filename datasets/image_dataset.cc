#include "datasets/image_dataset.h"

#include "autograd/error.h"

namespace trit::datasets {

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "test"; }

ImageDataset::ImageDataset(int64_t channels, int64_t height, int64_t width,
                           std::vector<uint8_t> images, std::vector<int64_t> labels,
                           std::vector<std::string> class_names, const std::string& where)
    : channels_(channels),
      height_(height),
      width_(width),
      images_(std::move(images)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)),
      source_(where) {
  check(channels > 0 && height > 0 && width > 0, where,
        "image size " + std::to_string(channels) + "x" + std::to_string(height) + "x" +
            std::to_string(width) + " must be positive");
  check(!class_names_.empty(), where, "no classes");
  const uint64_t expected = static_cast<uint64_t>(size()) * image_numel();
  check(images_.size() == expected, where,
        std::to_string(images_.size()) + " image bytes for " + std::to_string(size()) +
            " labels of " + std::to_string(image_numel()) + " bytes each (expected " +
            std::to_string(expected) + ")");
  for (int64_t i = 0; i < size(); ++i) {
    if (labels_[i] < 0 || labels_[i] >= num_classes()) {
      throw Error(where + ": label " + std::to_string(labels_[i]) + " of sample " +
                  std::to_string(i) + " is outside [0, " + std::to_string(num_classes()) + ")");
    }
  }
}

namespace {

// Accessors are called per sample: build the message only on failure.
void check_index(int64_t index, int64_t size, const char* where) {
  if (index < 0 || index >= size) {
    throw Error(std::string(where) + ": index " + std::to_string(index) + " outside [0, " +
                std::to_string(size) + ")");
  }
}

}  // namespace

const uint8_t* ImageDataset::image(int64_t index) const {
  check_index(index, size(), "ImageDataset::image");
  return images_.data() + index * image_numel();
}

int64_t ImageDataset::label(int64_t index) const {
  check_index(index, size(), "ImageDataset::label");
  return labels_[index];
}

}  // namespace trit::datasets
