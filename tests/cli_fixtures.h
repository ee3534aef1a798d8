// Tiny learnable datasets for end-to-end CLI tests, in the official file forms.
//
// MNIST-like (IDX files): class c is a bright 6x6 square at one of ten positions on a dark,
// noisy 28x28 image, so a LeNet-5 learns it within an epoch or two.
// CIFAR-10-like (binary batches data_batch_1..5.bin, test_batch.bin): class c is a bright
// 8x8 square in colour channel c % 3 at one of four positions on a noisy 32x32 image.
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

inline void write_tiny_cifar10(const std::string& dir, int64_t train = 50, int64_t test = 20) {
  Rng rng(98);
  const auto records = [&](int64_t n) {
    std::vector<uint8_t> bytes;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = static_cast<int64_t>(rng.below(10));
      bytes.push_back(static_cast<uint8_t>(label));
      const int64_t top = 4 + 16 * ((label / 3) % 2), left = 4 + 16 * (label / 6);
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < 32; ++y)
          for (int64_t x = 0; x < 32; ++x) {
            const bool square =
                c == label % 3 && y >= top && y < top + 8 && x >= left && x < left + 8;
            bytes.push_back(static_cast<uint8_t>(square ? 220 : rng.below(60)));
          }
    }
    return bytes;
  };
  for (int64_t b = 1; b <= 5; ++b)
    write_bytes(dir + "/data_batch_" + std::to_string(b) + ".bin",
                records(train / 5 + (b <= train % 5 ? 1 : 0)));
  write_bytes(dir + "/test_batch.bin", records(test));
}

}  // namespace trit::testing
