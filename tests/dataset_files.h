// Test helpers for the dataset loaders: a self-removing temp folder and writers for the
// synthetic files the tests read back (raw bytes, gzip, IDX).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/error.h"

namespace trit::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trit_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `relative` inside the folder; its parent folders are created.
  std::string file(const std::string& relative) const {
    const std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    return full.string();
  }

 private:
  std::string path_;
};

// Every byte of the file at `path` ("" when it cannot be read).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot write " + path);
  const int wrote = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  if (wrote != static_cast<int>(bytes.size())) throw std::runtime_error("gzwrite " + path);
}

// An unsigned-byte IDX file image: magic 0x0000080<rank>, big-endian sizes, then data.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims,
                                      const std::vector<uint8_t>& data) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

// The message of the trit::Error that `load()` throws, or "no error".
template <class Load>
std::string error_of(const Load& load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// A deterministic test pattern, [H, W, C] interleaved as image files store it.
inline std::vector<uint8_t> pattern_hwc(int height, int width, int channels, int seed) {
  std::vector<uint8_t> pixels(static_cast<size_t>(height * width * channels));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return pixels;
}

// The same pixels as [C, H, W] planes (how ImageDataset holds them).
inline std::vector<uint8_t> hwc_to_chw(const std::vector<uint8_t>& hwc, int height, int width,
                                       int channels) {
  std::vector<uint8_t> chw(hwc.size());
  for (int p = 0; p < height * width; ++p) {
    for (int c = 0; c < channels; ++c) chw[c * height * width + p] = hwc[p * channels + c];
  }
  return chw;
}

}  // namespace trit::testing
