// Per-target loop helpers shared by the kernel translation units (Highway's -inl.h idiom:
// re-included once per target by foreach_target, so include it after hwy/highway.h).
//
// ForEachVector walks [0, n) as full vectors then a one-lane tail; RowSum, RowDot and
// RowMax reduce one contiguous row in an order fixed by n and the target alone.
#if defined(TRIT_KERNELS_LOOPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TRIT_KERNELS_LOOPS_INL_H_
#undef TRIT_KERNELS_LOOPS_INL_H_
#else
#define TRIT_KERNELS_LOOPS_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cstddef>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls apply(d, i) for i = 0, L, 2L, ... with a full vector tag d while i + L <= n,
// then apply(d1, i) for every remaining i with a one-lane tag d1.
template <class Apply>
HWY_INLINE void ForEachVector(size_t n, const Apply& apply) {
  const hn::ScalableTag<float> d;
  size_t i = 0;
  for (; i + hn::Lanes(d) <= n; i += hn::Lanes(d)) apply(d, i);
  for (; i < n; ++i) apply(hn::CappedTag<float, 1>(), i);
}

// sum of f(i) over the vectors ForEachVector visits: lanes, then lane totals, then the tail.
template <class Term>
HWY_INLINE float SumOfVectors(size_t n, const Term& term) {
  const hn::ScalableTag<float> d;
  auto acc0 = hn::Zero(d), acc1 = hn::Zero(d);  // two chains hide the add latency
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    acc0 = hn::Add(acc0, term(d, i));
    acc1 = hn::Add(acc1, term(d, i + lanes));
  }
  for (; i + lanes <= n; i += lanes) acc0 = hn::Add(acc0, term(d, i));
  float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
  for (; i < n; ++i) total += hn::GetLane(term(hn::CappedTag<float, 1>(), i));
  return total;
}

HWY_INLINE float RowSum(const float* x, size_t n) {
  return SumOfVectors(n, [x](auto d, size_t i) { return hn::LoadU(d, x + i); });
}

HWY_INLINE float RowDot(const float* a, const float* b, size_t n) {
  return SumOfVectors(
      n, [a, b](auto d, size_t i) { return hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i)); });
}

// max of x[0..n), n >= 1 (unspecified when x holds NaN).
HWY_INLINE float RowMax(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  float best = x[0];
  size_t i = 0;
  if (n >= lanes) {
    auto acc = hn::LoadU(d, x);
    for (i = lanes; i + lanes <= n; i += lanes) acc = hn::Max(acc, hn::LoadU(d, x + i));
    best = hn::GetLane(hn::MaxOfLanes(d, acc));
  }
  for (; i < n; ++i) best = std::max(best, x[i]);
  return best;
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // TRIT_KERNELS_LOOPS_INL_H_ per target
