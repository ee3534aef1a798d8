// Per-channel normalisation of image bytes: x = (byte / 255 - mean[c]) / stddev[c].
//
// Contract: mean and stddev are in [0, 1] pixel units (as torchvision's Normalize), one
// entry per channel. channel_mean_std computes them over every pixel of a dataset (the
// training split, so test images are normalised with training statistics): exact mean
// and population standard deviation from per-channel byte histograms, in double.
#pragma once

#include <vector>

#include "datasets/image_dataset.h"

namespace trit::datasets {

struct Normalization {
  std::vector<float> mean;    // per channel; both empty: only scale bytes to [0, 1]
  std::vector<float> stddev;  // per channel, > 0
};

// Throws trit::Error for an empty dataset.
Normalization channel_mean_std(const ImageDataset& dataset);

}  // namespace trit::datasets
