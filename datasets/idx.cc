#include "datasets/idx.h"

#include <cstdio>

#include "autograd/error.h"
#include "datasets/file_io.h"

namespace trit::datasets {
namespace {

constexpr const char* kWhere = "idx";

uint32_t read_big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", static_cast<unsigned>(value));
  return text;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? "x" : "") + std::to_string(dims[i]);
  return text;
}

}  // namespace

IdxArray read_idx(const std::string& path, int rank) {
  std::vector<uint8_t> bytes = read_maybe_gzip(path, kWhere);
  const uint32_t expected_magic = 0x00000800u | static_cast<uint32_t>(rank);
  check(bytes.size() >= 4, kWhere,
        path + ": truncated: " + std::to_string(bytes.size()) +
            " bytes, too short for the 4-byte magic number");
  const uint32_t magic = read_big_endian(bytes.data());
  check(magic == expected_magic, kWhere,
        path + ": magic number " + hex32(magic) + ", expected " + hex32(expected_magic) +
            " (unsigned-byte IDX with " + std::to_string(rank) + " dimensions)");

  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  check(bytes.size() >= header, kWhere,
        path + ": truncated: the header needs " + std::to_string(header) + " bytes, file has " +
            std::to_string(bytes.size()));
  IdxArray array;
  uint64_t count = 1;
  bool overflow = false;
  for (int d = 0; d < rank; ++d) {
    const uint32_t size = read_big_endian(bytes.data() + 4 + 4 * d);
    array.dims.push_back(size);
    if (size != 0 && count > UINT64_MAX / size) overflow = true;
    count *= size;
  }
  const uint64_t have = bytes.size() - header;
  check(!overflow && count <= have, kWhere,
        path + ": truncated: the " + dims_text(array.dims) + " header needs " +
            (overflow ? std::string("more than 2^64") : std::to_string(count)) +
            " data bytes, file has " + std::to_string(have) +
            (overflow ? "" : " (" + std::to_string(count - have) + " short)"));
  check(count == have, kWhere,
        path + ": " + std::to_string(have - count) + " bytes after the " + dims_text(array.dims) +
            " data (file longer than its header says)");
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  array.data = std::move(bytes);
  return array;
}

ImageDataset load_idx_pair(const std::string& images_path, const std::string& labels_path,
                           std::vector<std::string> class_names, const std::string& where) {
  IdxArray images = read_idx(images_path, 3);
  const IdxArray labels = read_idx(labels_path, 1);
  check(images.dims[0] == labels.dims[0], where,
        images_path + " holds " + std::to_string(images.dims[0]) + " images but " + labels_path +
            " holds " + std::to_string(labels.dims[0]) + " labels");
  check(images.dims[1] > 0 && images.dims[2] > 0, where,
        images_path + ": image size " + dims_text({images.dims[1], images.dims[2]}) +
            " must be positive");
  const int64_t num_classes = static_cast<int64_t>(class_names.size());
  std::vector<int64_t> label_values(labels.data.size());
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= num_classes) {
      throw Error(where + ": " + labels_path + ": label " + std::to_string(labels.data[i]) +
                  " of sample " + std::to_string(i) + " is not below " +
                  std::to_string(num_classes));
    }
    label_values[i] = labels.data[i];
  }
  return ImageDataset(1, images.dims[1], images.dims[2], std::move(images.data),
                      std::move(label_values), std::move(class_names), where + ": " + images_path);
}

}  // namespace trit::datasets
