// A tiny learnable MNIST-like dataset written as IDX files, for end-to-end CLI tests.
//
// Class c is a bright 6x6 square at one of ten positions on a dark, noisy 28x28 image, so a
// LeNet-5 learns it within an epoch or two. Files use the official MNIST names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/random.h"
#include "tests/dataset_files.h"

namespace trit::testing {

inline void write_tiny_mnist(const std::string& dir, int64_t train = 256, int64_t test = 64) {
  Rng rng(99);
  const auto write_split = [&](const char* prefix, int64_t n) {
    std::vector<uint8_t> images(n * 28 * 28), labels(n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = static_cast<int64_t>(rng.below(10));
      labels[i] = static_cast<uint8_t>(label);
      uint8_t* image = images.data() + i * 28 * 28;
      for (int64_t p = 0; p < 28 * 28; ++p) image[p] = static_cast<uint8_t>(rng.below(40));
      const int64_t top = 2 + (label / 5) * 12, left = 2 + (label % 5) * 5;
      for (int64_t y = top; y < top + 6; ++y)
        for (int64_t x = left; x < left + 6 && x < 28; ++x) image[y * 28 + x] = 230;
    }
    const uint32_t count = static_cast<uint32_t>(n);
    write_bytes(dir + "/" + prefix + "-images-idx3-ubyte", idx_bytes({count, 28, 28}, images));
    write_bytes(dir + "/" + prefix + "-labels-idx1-ubyte", idx_bytes({count}, labels));
  };
  write_split("train", train);
  write_split("t10k", test);
}

}  // namespace trit::testing
