// Highway implementation of reduce.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/reduce.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comment stops clang-format's include regrouping.
#include <hwy/highway.h>

#include "autograd/kernels/loops-inl.h"
#include "autograd/kernels/reduce.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float SumImpl(const float* x, size_t n) { return RowSum(x, n); }

void SumAxisImpl(const float* x, size_t outer, size_t r, size_t inner, float* out) {
  for (size_t o = 0; o < outer; ++o, x += r * inner, out += inner) {
    if (inner == 1) {
      out[0] = RowSum(x, r);
      continue;
    }
    ForEachVector(inner, [&](auto d, size_t j) {  // a column block, k ascending
      auto acc = hn::Zero(d);
      for (size_t k = 0; k < r; ++k) acc = hn::Add(acc, hn::LoadU(d, x + k * inner + j));
      hn::StoreU(acc, d, out + j);
    });
  }
}

// The first k with x[k] == max (0 if none: NaN).
void MaxRow(const float* x, size_t r, float* out, int64_t* index) {
  const float best = RowMax(x, r);
  size_t k = 0;
  while (k < r && !(x[k] == best)) ++k;
  *out = best;
  *index = k < r ? static_cast<int64_t>(k) : 0;
}

void MaxAxisImpl(const float* x, size_t outer, size_t r, size_t inner, float* out, int64_t* index) {
  for (size_t o = 0; o < outer; ++o, x += r * inner, out += inner, index += inner) {
    if (inner == 1) {
      MaxRow(x, r, out, index);
      continue;
    }
    ForEachVector(inner, [&](auto d, size_t j) {  // a column block; Gt keeps the first max
      const hn::RebindToSigned<decltype(d)> di;
      auto best = hn::LoadU(d, x + j);
      auto arg = hn::Zero(di);
      for (size_t k = 1; k < r; ++k) {
        const auto v = hn::LoadU(d, x + k * inner + j);
        const auto greater = hn::Gt(v, best);
        best = hn::IfThenElse(greater, v, best);
        arg =
            hn::IfThenElse(hn::RebindMask(di, greater), hn::Set(di, static_cast<int32_t>(k)), arg);
      }
      hn::StoreU(best, d, out + j);
      int32_t args[HWY_MAX_BYTES / sizeof(int32_t)];
      hn::StoreU(arg, di, args);
      for (size_t l = 0; l < hn::Lanes(d); ++l) index[j + l] = args[l];
    });
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(SumImpl);
HWY_EXPORT(SumAxisImpl);
HWY_EXPORT(MaxAxisImpl);

float sum(const float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(SumImpl)(x, n); }

void sum_axis(const float* x, size_t outer, size_t r, size_t inner, float* out) {
  HWY_DYNAMIC_DISPATCH(SumAxisImpl)(x, outer, r, inner, out);
}

void max_axis(const float* x, size_t outer, size_t r, size_t inner, float* out, int64_t* index) {
  HWY_DYNAMIC_DISPATCH(MaxAxisImpl)(x, outer, r, inner, out, index);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
