// Highway implementation of pool.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/pool.cc"
#include "autograd/kernels/pool.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <limits>

#include "autograd/kernels/strided-inl.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The in-plane taps of one output: rows [ky_begin, ky_end) and columns [kx_begin, kx_end)
// of the kernel; tap (ky, kx) is plane element index(ky, kx).
struct Taps {
  int64_t width, iy0, ix0, ky_begin, ky_end, kx_begin, kx_end;

  int64_t index(int64_t ky, int64_t kx) const { return (iy0 + ky) * width + ix0 + kx; }
  template <class Fn>
  void for_each(const Fn& fn) const {
    for (int64_t ky = ky_begin; ky < ky_end; ++ky)
      for (int64_t kx = kx_begin; kx < kx_end; ++kx) fn(index(ky, kx));
  }
};

// Visits every output o (its index in the output array) of every plane: outputs whose
// window is cut by the left or right border one at a time, scalar(plane, o, taps); the
// others in vectors of consecutive outputs, vector(d, plane, o, taps of the first lane).
template <class Scalar, class Vector>
HWY_INLINE void ForEachWindow(int64_t planes, const Window2d& w, const Scalar& scalar,
                              const Vector& vector) {
  const int64_t out_h = w.out_height(), out_w = w.out_width(), s = w.stride;
  const IndexRange left = inside_outputs(0, w.width, out_w, s, w.padding);
  const IndexRange right = inside_outputs(w.kernel_w - 1, w.width, out_w, s, w.padding);
  const IndexRange interior{left.begin, std::max(left.begin, right.end)};
  const auto fits = [&](int64_t ox, int64_t lanes) {
    return ox * s - w.padding + Reach(lanes, s, w.kernel_w) < w.width;
  };
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oy = 0; oy < out_h; ++oy) {
      const int64_t iy0 = oy * s - w.padding, row = (plane * out_h + oy) * out_w;
      const auto taps = [&](int64_t ox) {
        const int64_t ix0 = ox * s - w.padding;
        return Taps{w.width,
                    iy0,
                    ix0,
                    std::max<int64_t>(0, -iy0),
                    std::min(w.kernel_h, w.height - iy0),
                    std::max<int64_t>(0, -ix0),
                    std::min(w.kernel_w, w.width - ix0)};
      };
      int64_t ox = 0;
      for (; ox < interior.begin; ++ox) scalar(plane, row + ox, taps(ox));
      ox = ForVectors(interior.begin, interior.end, fits,
                      [&](auto d, int64_t i) HWY_ATTR { vector(d, plane, row + i, taps(i)); });
      for (; ox < out_w; ++ox) scalar(plane, row + ox, taps(ox));
    }
}

// MaxPoolImpl with the argmax (kIndices: for backward) or the values alone (inference).
template <bool kIndices>
void MaxPool(const float* x, int64_t planes, const Window2d& w, float* y, int32_t* argmax) {
  const float lowest = -std::numeric_limits<float>::infinity();
  const auto scalar = [&](int64_t plane, int64_t o, const Taps& taps) {
    const float* in = x + plane * w.plane();
    float best = lowest;
    int64_t best_index = taps.index(taps.ky_begin, taps.kx_begin);
    taps.for_each([&](int64_t i) {
      if (in[i] > best) {
        best = in[i];
        best_index = i;
      }
    });
    y[o] = best;
    if (kIndices) argmax[o] = static_cast<int32_t>(best_index);
  };
  const auto vector = [&](auto d, int64_t plane, int64_t o, const Taps& taps) HWY_ATTR {
    const float* in = x + plane * w.plane();
    const hn::RebindToSigned<decltype(d)> di;
    const auto lane_offset = hn::Mul(hn::Iota(di, 0), hn::Set(di, int32_t(w.stride)));
    auto best = hn::Set(d, lowest);
    auto best_index = hn::Add(hn::Set(di, int32_t(taps.index(taps.ky_begin, 0))), lane_offset);
    for (int64_t ky = taps.ky_begin; ky < taps.ky_end; ++ky) {
      const int64_t row = taps.index(ky, 0);
      ForEachTap(d, in + row, w.stride, w.kernel_w, [&](int64_t kx, auto v) HWY_ATTR {
        const auto greater = hn::Gt(v, best);
        best = hn::IfThenElse(greater, v, best);
        if (kIndices) {
          const auto index = hn::Add(hn::Set(di, int32_t(row + kx)), lane_offset);
          best_index = hn::IfThenElse(hn::RebindMask(di, greater), index, best_index);
        }
      });
    }
    hn::StoreU(best, d, y + o);
    if (kIndices) hn::StoreU(best_index, di, argmax + o);
  };
  ForEachWindow(planes, w, scalar, vector);
}

void MaxPoolImpl(const float* x, int64_t planes, const Window2d& w, float* y, int32_t* argmax) {
  if (argmax) return MaxPool<true>(x, planes, w, y, argmax);
  MaxPool<false>(x, planes, w, y, nullptr);
}

void AvgPoolImpl(const float* x, int64_t planes, const Window2d& w, float* y) {
  const float count = float(w.kernel_h * w.kernel_w);
  const auto scalar = [&](int64_t plane, int64_t o, const Taps& taps) {
    const float* in = x + plane * w.plane();
    float sum = 0.0f;
    taps.for_each([&](int64_t i) { sum += in[i]; });
    y[o] = sum / count;
  };
  const auto vector = [&](auto d, int64_t plane, int64_t o, const Taps& taps) HWY_ATTR {
    const float* in = x + plane * w.plane();
    auto sum = hn::Zero(d);
    for (int64_t ky = taps.ky_begin; ky < taps.ky_end; ++ky)
      ForEachTap(d, in + taps.index(ky, 0), w.stride, w.kernel_w,
                 [&](int64_t, auto v) HWY_ATTR { sum = hn::Add(sum, v); });
    hn::StoreU(hn::Div(sum, hn::Set(d, count)), d, y + o);
  };
  ForEachWindow(planes, w, scalar, vector);
}

void AvgPoolBackwardImpl(const float* dy, int64_t planes, const Window2d& w, float* dx) {
  const float count = float(w.kernel_h * w.kernel_w);
  const auto scalar = [&](int64_t plane, int64_t o, const Taps& taps) {
    float* grad = dx + plane * w.plane();
    const float share = dy[o] / count;
    taps.for_each([&](int64_t i) { grad[i] += share; });
  };
  const auto vector = [&](auto d, int64_t plane, int64_t o, const Taps& taps) HWY_ATTR {
    float* grad = dx + plane * w.plane();
    const auto share = hn::Div(hn::LoadU(d, dy + o), hn::Set(d, count));
    for (int64_t ky = taps.ky_begin; ky < taps.ky_end; ++ky)
      AddToTaps(d, grad + taps.index(ky, 0), w.stride, w.kernel_w, share);
  };
  ForEachWindow(planes, w, scalar, vector);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(MaxPoolImpl);
HWY_EXPORT(AvgPoolImpl);
HWY_EXPORT(AvgPoolBackwardImpl);

void max_pool2d(const float* x, int64_t planes, const Window2d& w, float* y, int32_t* argmax) {
  HWY_DYNAMIC_DISPATCH(MaxPoolImpl)(x, planes, w, y, argmax);
}
void avg_pool2d(const float* x, int64_t planes, const Window2d& w, float* y) {
  HWY_DYNAMIC_DISPATCH(AvgPoolImpl)(x, planes, w, y);
}
void avg_pool2d_backward(const float* dy, int64_t planes, const Window2d& w, float* dx) {
  HWY_DYNAMIC_DISPATCH(AvgPoolBackwardImpl)(dy, planes, w, dx);
}

void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, const Window2d& w,
                         float* dx, bool overwrite) {
  const int64_t outputs = w.out_plane();
  for (int64_t plane = 0; plane < planes; ++plane) {
    float* grad = dx + plane * w.plane();
    if (overwrite) std::fill(grad, grad + w.plane(), 0.0f);
    for (int64_t o = plane * outputs; o < (plane + 1) * outputs; ++o) grad[argmax[o]] += dy[o];
  }
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
