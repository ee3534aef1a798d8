// Per-target code of the counter-based normal generator of random.h, shared by the kernels
// that draw normal values (random.cc fills arrays; quant/vnq/kernels/reparam.cc draws its noise
// in registers). Included once per Highway target (the HWY_TARGET_TOGGLE guard of hwy's
// -inl.h headers), after hwy/highway.h and hwy/contrib/math/math-inl.h.
//
// A vector holds consecutive pairs: two blocks on AVX-512 (the halves of its cos and sin
// vectors are concatenated into the blocks' order), one block on AVX2, half a block on SSE4,
// a pair on SCALAR; every lane computes the same function of its pair index. The angle
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

constexpr uint64_t kNormalGroup = 4 * kNormalBlock;  // values per group: 32 pairs

// 0, 1, 2, ... as a vector: a load of constants (hn::Iota builds its vector on the stack,
// and reading it back costs a store-forwarding stall per call).
template <class DU>
HWY_INLINE hn::Vec<DU> LaneIndices(DU du) {
  alignas(64) static constexpr uint32_t kIndices[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                        8, 9, 10, 11, 12, 13, 14, 15};
  return hn::LoadU(du, kIndices);
}

// The 64 standard normal values z(key, 64 group + k), k = 0..63, as vectors: visit(d, z, k) for
// each vector z holding values k .. k + Lanes(d) - 1 (k in an order the target picks). 32
// pairs, as independent vectors (the long dependency chains overlap). The pairs' high word is
// the same for a whole group (2^32 is a multiple of 32), so one block_key serves it.
template <class Visit>
HWY_INLINE void NormalGroupVectors(const NormalKey& key, uint64_t group, const Visit& visit) {
  const uint32_t key0 = block_key(key, group * 4);
  const uint32_t low = static_cast<uint32_t>(group * 32);
#if HWY_MAX_BYTES >= 64
  // 16 pairs = 2 blocks per vector: block 2i's (cos, sin) are the lower halves.
  const hn::CappedTag<float, 16> d;
  const hn::RebindToUnsigned<decltype(d)> du;
  for (uint32_t k = 0; k < 32; k += 16) {
    hn::Vec<decltype(d)> z_cos, z_sin;
    NormalPairs(d, hn::Add(hn::Set(du, low + k), LaneIndices(du)), key0, key, z_cos, z_sin);
    visit(d, hn::ConcatLowerLower(d, z_sin, z_cos), size_t{2} * k);
    visit(d, hn::ConcatUpperUpper(d, z_sin, z_cos), size_t{2} * k + 16);
  }
#else
  // Up to 8 pairs (one block or part of it) per vector.
  const hn::CappedTag<float, 8> d;
  const hn::RebindToUnsigned<decltype(d)> du;
  for (uint32_t k = 0; k < 32; k += static_cast<uint32_t>(hn::Lanes(d))) {
    hn::Vec<decltype(d)> z_cos, z_sin;
    NormalPairs(d, hn::Add(hn::Set(du, low + k), LaneIndices(du)), key0, key, z_cos, z_sin);
    const size_t block = size_t{16} * (k / 8) + k % 8;
    visit(d, z_cos, block);
    visit(d, z_sin, block + 8);
  }
#endif
}

// The same values into out[0..64).
HWY_INLINE void NormalGroup(const NormalKey& key, uint64_t group, float* HWY_RESTRICT out) {
  NormalGroupVectors(key, group,
                     [out](auto d, auto z, size_t k) HWY_ATTR { hn::StoreU(z, d, out + k); });
}

constexpr int64_t kNormalGrain = int64_t{1} << 15;  // values worth a thread

// Calls body(first, begin, end, z) for every group of 64 values touched by outputs
// [counter, counter + n), in parallel: z holds values first .. first + 63, of which
// [begin, end) are wanted (output counter + i is z[counter + i - first]). Groups never
// straddle chunks.
template <class Body>
HWY_INLINE void ForEachNormalGroup(const NormalKey& key, uint64_t counter, size_t n,
                                   const Body& body) {
  if (n == 0) return;
  const uint64_t first_group = counter / kNormalGroup;
  const uint64_t groups = (counter + n - 1) / kNormalGroup - first_group + 1;
  parallel_for_work(
      static_cast<int64_t>(groups), static_cast<int64_t>(n), kNormalGrain, [&](int64_t g) HWY_ATTR {
        const uint64_t first = (first_group + static_cast<uint64_t>(g)) * kNormalGroup;
        HWY_ALIGN float z[kNormalGroup];
        NormalGroup(key, first / kNormalGroup, z);
        body(first, std::max(first, counter) - first,
             std::min(first + kNormalGroup, counter + n) - first, z);
      });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // TRIT_KERNELS_NORMAL_INL_H_ per target
