// A cheaper e^x for kernels that need many (quant/vnq/kernels/kl.cc, reparam.cc): hn::Exp's
// range reduction and polynomial, with the power of two added to the result's exponent bits
// instead of multiplied in. Per-target code (hwy's -inl.h idiom): include after
// hwy/highway.h and hwy/contrib/math/math-inl.h.
#if defined(TRIT_KERNELS_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TRIT_KERNELS_EXP_INL_H_
#undef TRIT_KERNELS_EXP_INL_H_
#else
#define TRIT_KERNELS_EXP_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// e^x to hn::Exp's few ulp for x in [-86, 88]; below -86 (results under 2^-124) it is 0, above
// 88 it is e^88 (never infinity); NaN gives an unspecified finite value.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpFlushed(D d, V x) {
  const hn::RebindToSigned<D> di;
  hn::impl::ExpImpl<float> impl;
  x = hn::Min(x, hn::Set(d, 88.0f));
  const auto q = hn::NearestInt(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));  // x / ln 2
  // e^(x - q ln 2) lies in [2^-1/2, 2^1/2]: adding q to its exponent field stays normal
  const V mantissa = hn::Add(impl.ExpPoly(d, impl.ExpReduce(d, x, q)), hn::Set(d, 1.0f));
  const V y = hn::BitCast(d, hn::Add(hn::BitCast(di, mantissa), hn::ShiftLeft<23>(q)));
  return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -86.0f)), y);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // TRIT_KERNELS_EXP_INL_H_ per target
