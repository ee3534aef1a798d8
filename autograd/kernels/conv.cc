// Highway implementation of conv.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/conv.cc"
#include "autograd/kernels/conv.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "autograd/kernels/strided-inl.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Walks the column matrix row by row: fn(image_row, column_row, inside, kx) for every
// (channel, ky, kx, oy); image_row is the input row that tap ky reads (nullptr when it is
// padding) and inside the outputs ox whose tap kx lies inside that row.
template <class Fn>
HWY_INLINE void ForEachColumnRow(int64_t channels, const Window2d& w, const Fn& fn) {
  const int64_t out_h = w.out_height(), out_w = w.out_width();
  int64_t column_row = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kernel_h; ++ky)
      for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
        const IndexRange inside = inside_outputs(kx, w.width, out_w, w.stride, w.padding);
        for (int64_t oy = 0; oy < out_h; ++oy, ++column_row) {
          const int64_t iy = oy * w.stride - w.padding + ky;
          const bool padding_row = iy < 0 || iy >= w.height;
          fn(padding_row ? -1 : (c * w.height + iy) * w.width, column_row * out_w, inside, kx);
        }
      }
}

// True when a vector of `lanes` outputs starting at ox reads only inside the row.
inline bool RowFits(const Window2d& w, int64_t kx, int64_t taps, int64_t ox, int64_t lanes) {
  return ox * w.stride - w.padding + kx + Reach(lanes, w.stride, taps) < w.width;
}

void Im2colImpl(const float* image, int64_t channels, const Window2d& w, float* columns) {
  const int64_t out_w = w.out_width(), s = w.stride;
  ForEachColumnRow(channels, w, [&](int64_t row, int64_t col, IndexRange inside, int64_t kx) {
    float* dst = columns + col;
    if (row < 0) {
      std::fill(dst, dst + out_w, 0.0f);
      return;
    }
    std::fill(dst, dst + inside.begin, 0.0f);
    std::fill(dst + inside.end, dst + out_w, 0.0f);
    const float* src = image + row;  // output ox reads src[ox * s + shift]
    const int64_t shift = kx - w.padding;
    const auto fits = [&](int64_t ox, int64_t lanes) { return RowFits(w, kx, 1, ox, lanes); };
    int64_t ox = ForVectors(inside.begin, inside.end, fits, [&](auto d, int64_t i) HWY_ATTR {
      hn::StoreU(LoadTap(d, src + i * s + shift, s), d, dst + i);
    });
    for (; ox < inside.end; ++ox) dst[ox] = src[ox * s + shift];
  });
}

void Col2imImpl(const float* columns, int64_t channels, const Window2d& w, float* image) {
  const int64_t s = w.stride;
  ForEachColumnRow(channels, w, [&](int64_t row, int64_t col, IndexRange inside, int64_t kx) {
    if (row < 0) return;
    const float* src = columns + col;
    float* dst = image + row;  // output ox adds into dst[ox * s + shift]
    const int64_t shift = kx - w.padding;
    const auto fits = [&](int64_t ox, int64_t lanes) { return RowFits(w, kx, 1, ox, lanes); };
    int64_t ox = ForVectors(inside.begin, inside.end, fits, [&](auto d, int64_t i) HWY_ATTR {
      AddToTaps(d, dst + i * s + shift, s, 1, hn::LoadU(d, src + i));
    });
    for (; ox < inside.end; ++ox) dst[ox * s + shift] += src[ox];
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(Im2colImpl);
HWY_EXPORT(Col2imImpl);

void im2col(const float* image, int64_t channels, const Window2d& w, float* columns) {
  HWY_DYNAMIC_DISPATCH(Im2colImpl)(image, channels, w, columns);
}
void col2im(const float* columns, int64_t channels, const Window2d& w, float* image) {
  HWY_DYNAMIC_DISPATCH(Col2imImpl)(columns, channels, w, image);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
