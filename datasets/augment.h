// The DenseNet "C10+" augmentation: zero-pad, random crop back to size, random flip.
//
// As in fb.resnet.torch's CIFAR pipeline (datasets/cifar10.lua), which the DenseNet
// reference code uses: the image is normalised first, then padded with zeros by `padding`
// pixels on every side, a window of the original height x width is cut at a uniformly
// random corner (top, left in [0, 2*padding]), and the window is mirrored left-right with
// probability 1/2. Padding is therefore 0 in normalised units (the channel mean).
//
// Contract: draw_crop_flip is a pure function of (options, seed, epoch, sample index);
// apply_crop_flip writes dst[c][y][x] = padded(src)[c][top + y][left + x'] with
// x' = flip ? width-1-x : x. src and dst are [C, H, W] floats and must not overlap.
#pragma once

#include <cstdint>

namespace trit::datasets {

struct CropFlip {
  int64_t padding = 4;  // pixels of zeros on each side; 0 disables the crop
  bool flip = true;     // random horizontal flip
};

struct CropFlipDraw {
  int64_t top = 0;  // crop corner in the padded image, in [0, 2*padding]
  int64_t left = 0;
  bool flip = false;
};

CropFlipDraw draw_crop_flip(const CropFlip& options, uint64_t seed, int64_t epoch, int64_t index);

void apply_crop_flip(const float* src, int64_t channels, int64_t height, int64_t width,
                     int64_t padding, const CropFlipDraw& draw, float* dst);

}  // namespace trit::datasets
