#include "datasets/augment.h"

#include "autograd/error.h"
#include "datasets/streams.h"

namespace trit::datasets {

CropFlipDraw draw_crop_flip(const CropFlip& options, uint64_t seed, int64_t epoch, int64_t index) {
  if (options.padding < 0) {  // per sample: build the message only on failure
    throw Error("crop_flip: padding must be >= 0, got " + std::to_string(options.padding));
  }
  Rng rng = stream_rng(seed, Stream::kAugment, epoch, index);
  const uint64_t corners = static_cast<uint64_t>(2 * options.padding + 1);
  CropFlipDraw draw;
  draw.top = static_cast<int64_t>(rng.below(corners));
  draw.left = static_cast<int64_t>(rng.below(corners));
  draw.flip = options.flip && (rng.next_u64() >> 63) != 0;
  return draw;
}

void apply_crop_flip(const float* src, int64_t channels, int64_t height, int64_t width,
                     int64_t padding, const CropFlipDraw& draw, float* dst) {
  if (draw.top < 0 || draw.top > 2 * padding || draw.left < 0 || draw.left > 2 * padding) {
    throw Error("crop_flip: corner (" + std::to_string(draw.top) + ", " +
                std::to_string(draw.left) + ") outside [0, " + std::to_string(2 * padding) + "]");
  }
  for (int64_t c = 0; c < channels; ++c) {
    const float* in = src + c * height * width;
    float* out = dst + c * height * width;
    for (int64_t y = 0; y < height; ++y) {
      const int64_t sy = draw.top + y - padding;  // source row; outside: zero padding
      for (int64_t x = 0; x < width; ++x) {
        const int64_t sx = draw.left + (draw.flip ? width - 1 - x : x) - padding;
        const bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
        out[y * width + x] = inside ? in[sy * width + sx] : 0.0f;
      }
    }
  }
}

}  // namespace trit::datasets
