// Per-target code of the counter-based normal generator of random.h, shared by the kernels
// that draw normal values (random.cc fills arrays; quant/kernels/reparam.cc draws its noise
// in registers). Included once per Highway target (the HWY_TARGET_TOGGLE guard of hwy's
// -inl.h headers), after hwy/highway.h and hwy/contrib/math/math-inl.h.
//
// One vector of up to 8 lanes holds 8 consecutive pairs of a block (CappedTag, so every target
// computes the same lanes: 1 x 8 on AVX2/AVX-512, 2 x 4 on SSE4, 8 x 1 on SCALAR). The angle
// 2 pi u2 - pi/4 = q pi/2 + t, q = the top two bits of u2, t in [-pi/4, pi/4), so sin t and
// cos t are short polynomials with no range reduction, and q only swaps and negates them.
#if defined(TRIT_KERNELS_NORMAL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TRIT_KERNELS_NORMAL_INL_H_
#undef TRIT_KERNELS_NORMAL_INL_H_
#else
#define TRIT_KERNELS_NORMAL_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/random.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Wellons' lowbias32 lane by lane (kernels::mix32 of random.h).
template <class DU, class VU = hn::Vec<DU>>
HWY_INLINE VU Mix32(DU du, VU x) {
  x = hn::Xor(x, hn::ShiftRight<16>(x));
  x = hn::Mul(x, hn::Set(du, 0x7FEB352Du));
  x = hn::Xor(x, hn::ShiftRight<15>(x));
  x = hn::Mul(x, hn::Set(du, 0x846CA68Bu));
  return hn::Xor(x, hn::ShiftRight<16>(x));
}

// Standard normal pairs (z_cos, z_sin) of the pairs whose index has low words `low` and
// whose block has first key word `key0` (kernels::block_key).
template <class D, class DU = hn::RebindToUnsigned<D>, class V = hn::Vec<D>>
HWY_INLINE void NormalPairs(D d, hn::Vec<DU> low, uint32_t key0, const NormalKey& key, V& z_cos,
                            V& z_sin) {
  const DU du;
  const hn::RebindToSigned<D> di;
  auto a = Mix32(du, hn::Xor(low, hn::Set(du, key0)));
  a = Mix32(du, hn::Add(a, hn::Set(du, key.word[1])));
  const auto bits1 = Mix32(du, hn::Xor(a, hn::Set(du, key.word[2])));
  const auto bits2 = Mix32(du, hn::Xor(a, hn::Set(du, key.word[3])));

  // u1 in (0, 1]; r = sqrt(-2 ln u1).
  const V u1 = hn::Mul(
      hn::Add(hn::ConvertTo(d, hn::BitCast(di, hn::ShiftRight<1>(bits1))), hn::Set(d, 0.5f)),
      hn::Set(d, 0x1.0p-31f));
  V r = hn::Sqrt(hn::Mul(hn::Set(d, -2.0f), hn::Log(d, u1)));

  // t = (f - 1/2) pi/2 from the 22 bits of u2 below the quadrant bits.
  const auto fraction = hn::And(hn::ShiftRight<8>(bits2), hn::Set(du, 0x3FFFFFu));
  const V f = hn::Mul(hn::ConvertTo(d, hn::BitCast(di, fraction)), hn::Set(d, 0x1.0p-22f));
  const V t = hn::Mul(hn::Sub(f, hn::Set(d, 0.5f)), hn::Set(d, 1.57079632679489661923f));
  const V t2 = hn::Mul(t, t);
  // Taylor series: truncation error below 2e-9 on |t| <= pi/4.
  V sin_poly = hn::MulAdd(t2, hn::Set(d, 1.0f / 362880), hn::Set(d, -1.0f / 5040));
  sin_poly = hn::MulAdd(t2, sin_poly, hn::Set(d, 1.0f / 120));
  sin_poly = hn::MulAdd(t2, sin_poly, hn::Set(d, -1.0f / 6));
  const V sin_t = hn::MulAdd(hn::Mul(t, t2), sin_poly, t);
  V cos_poly = hn::MulAdd(t2, hn::Set(d, -1.0f / 3628800), hn::Set(d, 1.0f / 40320));
  cos_poly = hn::MulAdd(t2, cos_poly, hn::Set(d, -1.0f / 720));
  cos_poly = hn::MulAdd(t2, cos_poly, hn::Set(d, 1.0f / 24));
  cos_poly = hn::MulAdd(t2, cos_poly, hn::Set(d, -0.5f));
  const V cos_t = hn::MulAdd(t2, cos_poly, hn::Set(d, 1.0f));

  // Quadrant q: odd q turns (cos, sin) into (-sin, cos); q >= 2 negates both (the sign bit of
  // bits2 is q's high bit).
  const auto odd =
      hn::RebindMask(d, hn::Ne(hn::And(bits2, hn::Set(du, 0x40000000u)), hn::Zero(du)));
  r = hn::Xor(r, hn::BitCast(d, hn::And(bits2, hn::Set(du, 0x80000000u))));
  z_cos = hn::Mul(r, hn::IfThenElse(odd, hn::Neg(sin_t), cos_t));
  z_sin = hn::Mul(r, hn::IfThenElse(odd, cos_t, sin_t));
}

// The 16 standard normal values z(key, 16 block + k), k = 0..15, into out[0..16).
HWY_INLINE void NormalBlock(const NormalKey& key, uint64_t block, float* HWY_RESTRICT out) {
  const hn::CappedTag<float, 8> d;
  const hn::RebindToUnsigned<decltype(d)> du;
  const uint32_t key0 = block_key(key, block);
  const uint32_t low = static_cast<uint32_t>(block * 8);
  for (size_t k = 0; k < 8; k += hn::Lanes(d)) {
    hn::Vec<decltype(d)> z_cos, z_sin;
    NormalPairs(d, hn::Iota(du, low + static_cast<uint32_t>(k)), key0, key, z_cos, z_sin);
    hn::StoreU(z_cos, d, out + k);
    hn::StoreU(z_sin, d, out + 8 + k);
  }
}

// Calls body(block, begin, end, z) for every block touched by outputs [counter, counter + n),
// in parallel: z holds the block's 16 values, of which [begin, end) are wanted; output
// counter + i sits at z[i + counter - 16 block]. Blocks never straddle chunks.
template <class Body>
HWY_INLINE void ForEachNormalBlock(const NormalKey& key, uint64_t counter, size_t n,
                                   const Body& body) {
  if (n == 0) return;
  const uint64_t first_block = counter / kNormalBlock;
  const uint64_t blocks = (counter + n - 1) / kNormalBlock - first_block + 1;
  parallel_for_work(static_cast<int64_t>(blocks), static_cast<int64_t>(n), int64_t{1} << 15,
                    [&](int64_t b) HWY_ATTR {
                      const uint64_t block = first_block + static_cast<uint64_t>(b);
                      const uint64_t start = block * kNormalBlock;
                      HWY_ALIGN float z[kNormalBlock];
                      NormalBlock(key, block, z);
                      body(block, std::max(start, counter) - start,
                           std::min(start + kNormalBlock, counter + n) - start, z);
                    });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // TRIT_KERNELS_NORMAL_INL_H_ per target
