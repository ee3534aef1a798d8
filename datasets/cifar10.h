// CIFAR-10: 32x32 RGB images, 10 classes, 50,000 train / 10,000 test.
//
// Two on-disk forms are read:
// - the official binary version: data_batch_{1..5}.bin (train) and test_batch.bin (test),
//   each a sequence of 3073-byte records (1 label byte, then 3x32x32 pixel bytes, channel
//   planes R, G, B); the files may sit in `dir` or in `dir`/cifar-10-batches-bin;
// - an image folder `dir`/<split>/<class>/*.jpg|png with the standard class folders (the
//   lossy JPEG copy that ./run.sh unpacks from ../shared/data into data/cifar10).
//
// Contract: the result is [N, 3, 32, 32] bytes, labels in the standard order
// (airplane=0 .. truck=9). Binary files must be a whole number of records with labels
// below 10; otherwise, or when neither form is found, trit::Error("cifar10: ...") names
// the file or folder.
#pragma once

#include <string>
#include <vector>

#include "datasets/image_dataset.h"

namespace trit::datasets {

// Where ./run.sh unpacks CIFAR-10, relative to the repository root.
inline constexpr const char* kCifar10Dir = "data/cifar10";

// airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.
const std::vector<std::string>& cifar10_classes();

// Concatenates the records of the given binary batch files, in order.
ImageDataset read_cifar10_batches(const std::vector<std::string>& paths);

// Binary batches when present, else the image folder; see the contract above.
ImageDataset load_cifar10(const std::string& dir, Split split);

}  // namespace trit::datasets
