// Window2d: the geometry of a sliding window over one [height, width] plane, shared by the
// convolution (im2col/col2im) and pooling kernels.
//
// Output (oy, ox) covers input rows oy * stride - padding + ky for ky < kernel_h, and columns
// ox * stride - padding + kx for kx < kernel_w; taps outside the plane are padding (zero for
// convolution and average pooling, never chosen by max pooling). Callers guarantee
// height + 2 * padding >= kernel_h (same for widths) and stride >= 1, so outputs are >= 1.
#pragma once

#include <algorithm>
#include <cstdint>

namespace trit::kernels {

struct Window2d {
  int64_t height = 1, width = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride = 1, padding = 0;

  int64_t out_height() const { return (height + 2 * padding - kernel_h) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel_w) / stride + 1; }
  int64_t plane() const { return height * width; }
  int64_t out_plane() const { return out_height() * out_width(); }
};

struct IndexRange {
  int64_t begin = 0, end = 0;
};

// The outputs o in [0, outputs) whose tap at kernel offset `tap` lies inside [0, size), i.e.
// 0 <= o * stride - padding + tap < size. Those outputs are contiguous; the range may be empty.
inline IndexRange inside_outputs(int64_t tap, int64_t size, int64_t outputs, int64_t stride,
                                 int64_t padding) {
  const int64_t first = padding - tap;            // need o * stride >= first
  const int64_t last = size - 1 + padding - tap;  // and o * stride <= last
  if (last < 0) return {0, 0};
  const int64_t end = std::min(outputs, last / stride + 1);
  const int64_t begin = first <= 0 ? 0 : (first + stride - 1) / stride;
  return {std::min(begin, end), end};
}

}  // namespace trit::kernels
