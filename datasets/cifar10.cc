#include "datasets/cifar10.h"

#include <filesystem>

#include "autograd/error.h"
#include "datasets/file_io.h"
#include "datasets/image_folder.h"

namespace trit::datasets {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWhere = "cifar10";
constexpr int64_t kSide = 32;
constexpr int64_t kPixels = 3 * kSide * kSide;
constexpr int64_t kRecord = 1 + kPixels;

std::vector<std::string> batch_names(Split split) {
  if (split == Split::kTest) return {"test_batch.bin"};
  std::vector<std::string> names;
  for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
  return names;
}

// The folder holding the split's first binary batch, or "" if there is none.
std::string find_batch_dir(const std::string& dir, Split split) {
  std::error_code error;
  for (const fs::path& candidate : {fs::path(dir), fs::path(dir) / "cifar-10-batches-bin"}) {
    if (fs::is_regular_file(candidate / batch_names(split)[0], error)) return candidate.string();
  }
  return "";
}

}  // namespace

const std::vector<std::string>& cifar10_classes() {
  static const std::vector<std::string> kClasses = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return kClasses;
}

ImageDataset read_cifar10_batches(const std::vector<std::string>& paths) {
  std::vector<uint8_t> images;
  std::vector<int64_t> labels;
  for (const std::string& path : paths) {
    const std::vector<uint8_t> bytes = read_file(path, kWhere);
    const int64_t size = static_cast<int64_t>(bytes.size());
    check(size > 0 && size % kRecord == 0, kWhere,
          path + ": " + std::to_string(size) + " bytes is not a whole number of " +
              std::to_string(kRecord) + "-byte records (1 label + 3x32x32 pixels): " +
              std::to_string(size / kRecord) + " records and " + std::to_string(size % kRecord) +
              " bytes left over (truncated file?)");
    for (int64_t offset = 0; offset < size; offset += kRecord) {
      const uint8_t label = bytes[offset];
      if (label >= 10) {
        throw Error(std::string(kWhere) + ": " + path + ": label " + std::to_string(label) +
                    " of record " + std::to_string(offset / kRecord) + " is not below 10");
      }
      labels.push_back(label);
      images.insert(images.end(), bytes.begin() + offset + 1, bytes.begin() + offset + kRecord);
    }
  }
  const std::string source = paths.empty() ? "" : ": " + paths.front() +
                                                      (paths.size() > 1 ? " ..." : "");
  return ImageDataset(3, kSide, kSide, std::move(images), std::move(labels), cifar10_classes(),
                      kWhere + source);
}

ImageDataset load_cifar10(const std::string& dir, Split split) {
  const std::string batch_dir = find_batch_dir(dir, split);
  if (!batch_dir.empty()) {
    std::vector<std::string> paths;
    for (const std::string& name : batch_names(split)) {
      paths.push_back((fs::path(batch_dir) / name).string());
    }
    return read_cifar10_batches(paths);
  }
  const fs::path folder = fs::path(dir) / split_name(split);
  std::error_code error;
  check(fs::is_directory(folder, error), kWhere,
        "no CIFAR-10 " + std::string(split_name(split)) + " split in " + dir + ": expected " +
            batch_names(split)[0] + " (official binary version) or " + folder.string() +
            "/<class>/*.jpg; ./run.sh unpacks ../shared/data/cifar10-jpg.tar.gz into " +
            kCifar10Dir);
  ImageFolderOptions options;
  options.classes = cifar10_classes();
  options.channels = 3;
  options.height = kSide;
  options.width = kSide;
  return load_image_folder(dir, split, options);
}

}  // namespace trit::datasets
