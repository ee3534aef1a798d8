#include "datasets/image_folder.h"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <memory>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "datasets/file_io.h"
#include "datasets/image_format.h"

namespace trit::datasets {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWhere = "image_folder";

struct ImageFile {
  std::string path;
  int64_t label;
};

struct ImageSize {
  int channels;
  int64_t height;
  int64_t width;
};

bool hidden(const fs::path& path) { return path.filename().string().rfind('.', 0) == 0; }

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Sorted names of the entries of `dir` that are directories (want_dirs) or image files.
std::vector<std::string> sorted_entries(const fs::path& dir, bool want_dirs) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  check(!error, kWhere, dir.string() + ": cannot list (" + error.message() + ")");
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : it) {
    if (hidden(entry.path())) continue;
    const bool keep = want_dirs ? entry.is_directory(error)
                                : entry.is_regular_file(error) && has_image_extension(entry);
    if (keep) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> class_folders(const fs::path& dir, const ImageFolderOptions& options) {
  const std::vector<std::string> found = sorted_entries(dir, true);
  if (options.classes.empty()) {
    check(!found.empty(), kWhere, dir.string() + ": no class folders");
    return found;
  }
  std::vector<std::string> given = options.classes;
  std::sort(given.begin(), given.end());
  const auto repeated = std::adjacent_find(given.begin(), given.end());
  if (repeated != given.end())
    throw Error(std::string(kWhere) + ": class '" + *repeated + "' is given twice");
  for (const std::string& name : options.classes) {
    check(std::binary_search(found.begin(), found.end(), name), kWhere,
          "missing class folder " + (dir / name).string());
  }
  for (const std::string& name : found) {
    check(std::binary_search(given.begin(), given.end(), name), kWhere,
          (dir / name).string() + " is not one of the " + std::to_string(options.classes.size()) +
              " given classes");
  }
  return options.classes;
}

std::vector<ImageFile> list_images(const fs::path& dir, const std::vector<std::string>& classes) {
  std::vector<ImageFile> files;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path class_dir = dir / classes[label];
    const std::vector<std::string> names = sorted_entries(class_dir, false);
    check(!names.empty(), kWhere, class_dir.string() + ": empty class (no .jpg/.jpeg/.png files)");
    for (const std::string& name : names) {
      files.push_back({(class_dir / name).string(), static_cast<int64_t>(label)});
    }
  }
  return files;
}

std::string size_text(int64_t height, int64_t width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

struct Decoded {
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels{nullptr, stbi_image_free};
  ImageSize size{};
};

// Data-set images are small. A header that claims a side longer than this is refused before
// stb allocates and decodes them: a few bytes of header can claim half a billion pixels,
// which stb would spend a minute and gigabytes on (found by fuzz/fuzz_image.cc).
constexpr int kMaxSide = 4096;  // pixels, each way

void check_size(const std::string& path, int64_t height, int64_t width, const ImageSize& expected) {
  if (height != expected.height || width != expected.width) {
    throw Error(std::string(kWhere) + ": " + path + ": image is " + size_text(height, width) +
                " (height x width), expected " + size_text(expected.height, expected.width));
  }
}

// Decodes one file with stb_image, converting to `channels` (0: keep the file's). With
// `expected`, an image of another height or width is refused from its header, undecoded.
Decoded decode(const std::string& path, int channels, const ImageSize* expected = nullptr) {
  const std::vector<uint8_t> bytes = read_file(path, kWhere);
  check(bytes.size() <= INT32_MAX, kWhere, path + ": file too large for stb_image");
  check_png_or_jpeg(kWhere, path, bytes);  // only those two formats reach stb
  const int length = static_cast<int>(bytes.size());
  int width = 0, height = 0, file_channels = 0;
  if (stbi_info_from_memory(bytes.data(), length, &width, &height, &file_channels)) {
    check(width <= kMaxSide && height <= kMaxSide, kWhere,
          path + ": image is " + size_text(height, width) +
              " (height x width), larger than the 4096 x 4096 trit decodes for a data set");
    if (expected) check_size(path, height, width, *expected);
  }  // else stb_image fails below, saying why
  Decoded image;
  image.pixels.reset(
      stbi_load_from_memory(bytes.data(), length, &width, &height, &file_channels, channels));
  if (image.pixels == nullptr) {  // stbi_failure_reason() is only set on failure
    throw Error(std::string(kWhere) + ": " + path +
                ": cannot decode image (stb_image: " + stbi_failure_reason() + ")");
  }
  image.size = {channels ? channels : file_channels, height, width};
  return image;
}

// Decodes `file` into its [C, H, W] slot `chw`, checking its size.
void decode_into(const ImageFile& file, const ImageSize& size, uint8_t* chw) {
  const Decoded image = decode(file.path, size.channels, &size);
  check_size(file.path, image.size.height, image.size.width, size);
  const int64_t plane = size.height * size.width;
  for (int64_t p = 0; p < plane; ++p) {
    for (int c = 0; c < size.channels; ++c) {
      chw[c * plane + p] = image.pixels.get()[p * size.channels + c];
    }
  }
}

}  // namespace

ImageDataset load_image_folder(const std::string& root, Split split,
                               const ImageFolderOptions& options) {
  const fs::path dir = fs::path(root) / split_name(split);
  std::error_code error;
  check(fs::is_directory(dir, error), kWhere,
        "missing folder " + dir.string() + " (expected " + dir.string() + "/<class>/*.jpg|png)");
  check(options.channels >= 0 && options.channels <= 4, kWhere,
        "channels must be 0..4, got " + std::to_string(options.channels));
  const std::vector<std::string> classes = class_folders(dir, options);
  const std::vector<ImageFile> files = list_images(dir, classes);

  // The first image fixes whatever the options leave open.
  const ImageSize first = decode(files[0].path, options.channels).size;
  const ImageSize size{first.channels, options.height ? options.height : first.height,
                       options.width ? options.width : first.width};
  const int64_t numel = size.channels * size.height * size.width;
  std::vector<uint8_t> images(files.size() * static_cast<size_t>(numel));
  std::vector<int64_t> labels(files.size());
  // Exceptions must not leave an OpenMP region: keep each file's message, report the first.
  std::vector<std::string> errors(files.size());
  kernels::parallel_for(static_cast<int64_t>(files.size()), [&](int64_t i) {
    labels[i] = files[i].label;
    try {
      decode_into(files[i], size, images.data() + i * numel);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  for (const std::string& message : errors) {
    if (!message.empty()) throw Error(message);
  }
  return ImageDataset(size.channels, size.height, size.width, std::move(images), std::move(labels),
                      classes, std::string(kWhere) + ": " + dir.string());
}

}  // namespace trit::datasets
