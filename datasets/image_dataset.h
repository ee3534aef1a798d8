// ImageDataset: a labelled set of same-sized images held in memory as raw bytes.
//
// Contract
// - images() is uint8 [N, C, H, W], contiguous (sample-major, then channel planes), exactly
//   N*C*H*W bytes; labels() holds N class indices in [0, num_classes()).
// - Loaders decode or inflate their files once into this form; training reads the cached
//   bytes every epoch (a DataLoader turns them into float batches), so decoding never
//   repeats per epoch.
// - The constructor validates the sizes and the labels and throws trit::Error naming
//   `where` (the loader and its file or folder) when they disagree; source() keeps `where`
//   so later checks (e.g. the image size a model takes) name the data too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::datasets {

// Which half of a dataset to load.
enum class Split { kTrain, kTest };
// "train" or "test" (also the folder names of image-folder datasets).
const char* split_name(Split split);

class ImageDataset {
 public:
  ImageDataset() = default;
  ImageDataset(int64_t channels, int64_t height, int64_t width, std::vector<uint8_t> images,
               std::vector<int64_t> labels, std::vector<std::string> class_names,
               const std::string& where);

  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t image_numel() const { return channels_ * height_ * width_; }  // C*H*W
  int64_t num_classes() const { return static_cast<int64_t>(class_names_.size()); }

  const std::vector<uint8_t>& images() const { return images_; }
  const uint8_t* image(int64_t index) const;  // C*H*W bytes of sample `index`
  const std::vector<int64_t>& labels() const { return labels_; }
  int64_t label(int64_t index) const;
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& source() const { return source_; }  // "mnist: data/mnist/t10k-images-..."

 private:
  int64_t channels_ = 0;
  int64_t height_ = 0;
  int64_t width_ = 0;
  std::vector<uint8_t> images_;
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
  std::string source_;
};

}  // namespace trit::datasets
