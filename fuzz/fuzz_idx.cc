// Fuzzes the IDX reader (datasets/idx.cc read_idx, load_idx_pair) through load_mnist, plain
// and gzip (datasets/file_io.cc read_maybe_gzip), as `trit train --dataset mnist` reads it.
//
// Input: an images file followed by a labels file. The labels file starts at the last offset
// > 0 where the input holds a labels magic (00 00 08 01) or a gzip magic (1f 8b); without one
// the whole input is the images file and the labels file is empty. Each half is read as
// written (gzip data is inflated by read_maybe_gzip), then, if it was not gzip already,
// once more gzip-compressed by the harness under the ".gz" name, so that mutated IDX headers
// are also read through zlib.
//
// Expected: trit::Error for every malformed file (bad magic, truncated or over-long data,
// counts that differ, labels >= 10, corrupt or truncated gzip). Anything else is a finding.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/mnist.h"
#include "fuzz/fuzz_common.h"

namespace {

using trit::fuzz::temp_dir;
using trit::fuzz::write_file;

size_t labels_start(const uint8_t* data, size_t size) {
  for (size_t i = size; i-- > 1;) {
    const bool idx1 = i + 4 <= size && data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 8 &&
                      data[i + 3] == 1;
    const bool gz = i + 2 <= size && data[i] == 0x1f && data[i + 1] == 0x8b;
    if (idx1 || gz) return i;
  }
  return size;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

void load(const std::filesystem::path& dir) {
  trit::fuzz::expect_error(
      [&] { trit::datasets::load_mnist(dir.string(), trit::datasets::Split::kTest); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t split = labels_start(data, size);
  const std::vector<uint8_t> images(data, data + split), labels(data + split, data + size);
  const char* kImages = "t10k-images-idx3-ubyte";
  const char* kLabels = "t10k-labels-idx1-ubyte";

  const std::filesystem::path plain = temp_dir() / "plain";
  std::filesystem::create_directories(plain);
  write_file(plain / kImages, images.data(), images.size());
  write_file(plain / kLabels, labels.data(), labels.size());
  load(plain);

  if (is_gzip(images) && is_gzip(labels)) return 0;  // read through zlib above already
  const std::filesystem::path gz = temp_dir() / "gz";
  std::filesystem::create_directories(gz);
  for (const auto& [name, bytes] : {std::pair{kImages, &images}, std::pair{kLabels, &labels}}) {
    const std::vector<uint8_t> packed =
        is_gzip(*bytes) ? *bytes : trit::fuzz::gzip(bytes->data(), bytes->size());
    write_file(gz / (std::string(name) + ".gz"), packed.data(), packed.size());
  }
  load(gz);
  return 0;
}
