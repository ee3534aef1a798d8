// Per-target helpers for the sliding-window kernels (conv.cc, pool.cc): loads of the taps of
// a window along an image row, accumulating stores back into it, and a loop over vector
// widths. Included once per Highway target (the HWY_TARGET_TOGGLE guard of hwy's -inl.h
// headers), after hwy/highway.h, by the kernel TUs only.
//
// A "vector of outputs" is lanes consecutive window positions i, whose tap t reads
// p[i * stride + t]. Stride 1 uses plain loads, stride 2 deinterleaves two taps from one
// pair of loads, larger strides gather.
#if defined(TRIT_KERNELS_STRIDED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TRIT_KERNELS_STRIDED_INL_H_
#undef TRIT_KERNELS_STRIDED_INL_H_
#else
#define TRIT_KERNELS_STRIDED_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The highest offset past p that ForEachTap/AddToTaps touch for `lanes` outputs and taps
// 0..taps-1 (stride 2 touches whole interleaved pairs). A vector may run only where
// p + Reach(...) is still inside the row.
inline int64_t Reach(int64_t lanes, int64_t stride, int64_t taps) {
  const int64_t last_tap = stride == 2 ? taps + (taps & 1) - 1 : taps - 1;
  return (lanes - 1) * stride + last_tap;
}

// Calls body(d, i) on vectors of full width, then 8, then 4 lanes, while i + lanes <= end
// and fits(i, lanes); returns the first index left to scalar code. The narrow widths keep
// the short rows of small images (8 to 24 outputs) vectorised on 16-lane targets.
template <class Fits, class Body>
HWY_INLINE int64_t ForVectors(int64_t begin, int64_t end, const Fits& fits, const Body& body) {
  int64_t i = begin;
  const auto run = [&](auto d) HWY_ATTR {
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
    for (; i + lanes <= end && fits(i, lanes); i += lanes) body(d, i);
  };
  run(hn::ScalableTag<float>());
  run(hn::CappedTag<float, 8>());
  run(hn::CappedTag<float, 4>());
  return i;
}

// v[i] = p[i * stride].
template <class D>
HWY_INLINE hn::Vec<D> LoadTap(D d, const float* p, int64_t stride) {
  if (stride == 1) return hn::LoadU(d, p);
  if (stride == 2) {
    hn::Vec<D> even, odd;
    hn::LoadInterleaved2(d, p, even, odd);
    return even;
  }
  const hn::RebindToSigned<D> di;
  return hn::GatherIndex(d, p, hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(stride))));
}

// fn(t, v) for t < taps, with v[i] = p[i * stride + t].
template <class D, class Fn>
HWY_INLINE void ForEachTap(D d, const float* p, int64_t stride, int64_t taps, const Fn& fn) {
  if (stride != 2) {
    for (int64_t t = 0; t < taps; ++t) fn(t, LoadTap(d, p + t, stride));
    return;
  }
  for (int64_t t = 0; t < taps; t += 2) {
    hn::Vec<D> even, odd;
    hn::LoadInterleaved2(d, p + t, even, odd);
    fn(t, even);
    if (t + 1 < taps) fn(t + 1, odd);
  }
}

// p[i * stride + t] += v[i] for t < taps.
template <class D>
HWY_INLINE void AddToTaps(D d, float* p, int64_t stride, int64_t taps, hn::Vec<D> v) {
  if (stride == 1) {
    for (int64_t t = 0; t < taps; ++t) hn::StoreU(hn::Add(hn::LoadU(d, p + t), v), d, p + t);
  } else if (stride == 2) {
    for (int64_t t = 0; t < taps; t += 2) {
      hn::Vec<D> even, odd;
      hn::LoadInterleaved2(d, p + t, even, odd);
      if (t + 1 < taps) odd = hn::Add(odd, v);
      hn::StoreInterleaved2(hn::Add(even, v), odd, d, p + t);
    }
  } else {
    HWY_ALIGN float lanes[HWY_LANES(float)];
    hn::Store(v, d, lanes);
    const int64_t n = static_cast<int64_t>(hn::Lanes(d));
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t i = 0; i < n; ++i) p[i * stride + t] += lanes[i];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // TRIT_KERNELS_STRIDED_INL_H_
