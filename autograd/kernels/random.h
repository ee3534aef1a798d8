// Counter-based normal random numbers on raw float spans (Highway, runtime dispatch, threads).
//
// Contract: normal_fill(key, counter, mean, stddev, out, n) writes
//   out[i] = mean + stddev * z(key, counter + i),   i in [0, n),
// where z(key, j) is a standard normal value that is a pure function of (key, j): the result
// does not depend on the thread count, on how a caller splits [0, n) into calls, or on the
// memory it is written to. It may differ in the last bits between SIMD targets (hn::Log
// rounds differently with and without FMA).
//
// Generator (the functions below are its definition, and the tests' reference): outputs come
// in blocks of kNormalBlock = 16; the block b holding j = 16 b + k uses pair p = 8 b + (k mod 8).
// Pair p gets two 32-bit words from a keyed integer hash of p (normal_bits: rounds of Wellons'
// lowbias32 mixer), u1 in (0, 1] from the first and u2 in [0, 1) from the second, and
// Box-Muller gives r = sqrt(-2 ln u1) and phi = 2 pi u2 - pi/4: z(16 b + k) = r cos(phi) for
// k < 8, r sin(phi) for k >= 8. |z| <= sqrt(64 ln 2) ~ 6.66 (u1 >= 2^-32).
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit::kernels {

constexpr uint64_t kNormalBlock = 16;  // outputs per block of 8 Box-Muller pairs

void normal_fill(uint64_t key, uint64_t counter, float mean, float stddev, float* out, size_t n);

// The generator's integer part: four 32-bit words derived from the key (splitmix64).
struct NormalKey {
  uint32_t word[4];
};
NormalKey normal_key(uint64_t key);
// Wellons' lowbias32, a bijection on 32-bit words with low avalanche bias.
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  return x ^ (x >> 16);
}
// Key word 0 mixed with the high word of the block's pair indices (8 b .. 8 b + 7 share it).
inline uint32_t block_key(const NormalKey& key, uint64_t block) {
  return key.word[0] ^ mix32(static_cast<uint32_t>((block * 8) >> 32) + key.word[3]);
}
// The two 32-bit words of pair p = 8 b + k (k < 8):
//   a = mix32(mix32(low32(p) ^ block_key(b)) + word[1]),
//   bits1 = mix32(a ^ word[2]),  bits2 = mix32(a ^ word[3]).
void normal_bits(const NormalKey& key, uint64_t pair, uint32_t* bits1, uint32_t* bits2);
// u1 = (float(bits1 >> 1) + 0.5) 2^-31 in (0, 1], u2 = float(bits2 >> 8) 2^-24 in [0, 1).
float normal_u1(uint32_t bits1);
float normal_u2(uint32_t bits2);

}  // namespace trit::kernels
