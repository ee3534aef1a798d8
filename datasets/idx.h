// IDX files (the MNIST family's format): big-endian header, then unsigned bytes.
//
// Layout: magic 0x00 0x00 0x08 R (unsigned-byte data, R dimensions), R big-endian uint32
// sizes, then exactly the product of the sizes in bytes. Files may be gzip-compressed.
//
// Contract: read_idx validates the magic number (0x00000803 for images, 0x00000801 for
// labels), the header and that the file holds exactly the bytes its header promises; a
// truncated or over-long file throws trit::Error naming the path and how many bytes are
// short or extra.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"

namespace trit::datasets {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28}
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads an unsigned-byte IDX file (plain or .gz) that must have `rank` dimensions.
IdxArray read_idx(const std::string& path, int rank);

// Pairs an image file ([N, H, W]) with a label file ([N]) as a one-channel dataset.
// Throws trit::Error("<where>: ...") when the counts differ or a label is not below
// class_names.size(), naming the file.
ImageDataset load_idx_pair(const std::string& images_path, const std::string& labels_path,
                           std::vector<std::string> class_names, const std::string& where);

}  // namespace trit::datasets
