// Highway implementation of random.h (pattern: hwy/examples/skeleton.cc, 1.0.3); the
// generator's per-target code is in normal-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/random.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comments stop clang-format's include regrouping.
#include <hwy/highway.h>
// Contrib headers come after highway.h.
#include <hwy/contrib/math/math-inl.h>

#include "autograd/kernels/normal-inl.h"
#include "autograd/kernels/random.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void NormalFillImpl(const NormalKey& key, uint64_t counter, float mean, float stddev, float* out,
                    size_t n) {
  ForEachNormalGroup(key, counter, n, [&](uint64_t first, size_t begin, size_t end, float* z) {
    float* target = out + (first + begin - counter);
    for (size_t k = begin; k < end; ++k) target[k - begin] = mean + stddev * z[k];
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(NormalFillImpl);

NormalKey normal_key(uint64_t key) {
  NormalKey out;
  for (int i = 0; i < 2; ++i) {  // splitmix64 (Steele, Lea and Flood, 2014)
    uint64_t z = (key += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    out.word[2 * i] = static_cast<uint32_t>(z);
    out.word[2 * i + 1] = static_cast<uint32_t>(z >> 32);
  }
  return out;
}

void normal_bits(const NormalKey& key, uint64_t pair, uint32_t* bits1, uint32_t* bits2) {
  uint32_t a = mix32(static_cast<uint32_t>(pair) ^ block_key(key, pair / 8));
  a = mix32(a + key.word[1]);
  *bits1 = mix32(a ^ key.word[2]);
  *bits2 = mix32(a ^ key.word[3]);
}

float normal_u1(uint32_t bits1) {
  return (static_cast<float>(static_cast<int32_t>(bits1 >> 1)) + 0.5f) * 0x1.0p-31f;
}
float normal_u2(uint32_t bits2) { return static_cast<float>(bits2 >> 8) * 0x1.0p-24f; }

void normal_fill(uint64_t key, uint64_t counter, float mean, float stddev, float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(NormalFillImpl)(normal_key(key), counter, mean, stddev, out, n);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
