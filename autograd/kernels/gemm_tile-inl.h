// Building blocks of the cache-blocked GEMMs (gemm.cc, quant/ternary/kernels/gemm.cc), per target
// (Highway's -inl.h idiom: re-included once per target, so include it after hwy/highway.h).
//
// A micro-tile is kMr rows x Nr() = two vectors of columns, held in 2 kMr accumulators.
// MultiplySlivers sets them to the product over p < kc of a packed A sliver
// (a[p * kMr + r]: the tile's rows) and a B sliver (b_rows[p][j]: its Nr() columns, rows
// SteppedRows or OffsetRows), one broadcast of A and two MulAdds per row and step, p in
// order (a result depends on kc and the target alone). PackTransposed packs slivers from stored
// rows; SplitC cuts C into blocks of whole tiles, one task each.
#if defined(TRIT_KERNELS_GEMM_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TRIT_KERNELS_GEMM_TILE_INL_H_
#undef TRIT_KERNELS_GEMM_TILE_INL_H_
#else
#define TRIT_KERNELS_GEMM_TILE_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Micro-tile rows: kMr x 2 accumulators, 2 B vectors and one broadcast must fit the
// register file (32 vector registers with AVX-512, 16 on the narrower x86 targets).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kMr = 12;
#else
constexpr size_t kMr = 6;
#endif

HWY_INLINE size_t Nr() { return 2 * hn::Lanes(hn::ScalableTag<float>()); }  // tile columns

// dst[p * width + j] = src[j * ld + p] for j < count, p < kc, and zero for
// count <= j < width: a transposing copy, in 4 x 4 blocks of 128-bit vectors where the
// target has them, reading `count` sequential streams.
inline void PackTransposed(const float* HWY_RESTRICT src, int64_t ld, size_t count, size_t kc,
                           float* HWY_RESTRICT dst, size_t width) {
  size_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  static constexpr float kZeros[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  const hn::Full128<float> d4;
  for (; j + 4 <= width; j += 4) {
    // Source rows j..j+3; a row at or past `count` reads kZeros again and again (step 0).
    const float* row[4];
    size_t step[4];
    for (size_t q = 0; q < 4; ++q) {
      const bool valid = j + q < count;
      row[q] = valid ? src + (j + q) * ld : kZeros;
      step[q] = valid ? 4 : 0;
    }
    size_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      const auto r0 = hn::LoadU(d4, row[0]), r1 = hn::LoadU(d4, row[1]);
      const auto r2 = hn::LoadU(d4, row[2]), r3 = hn::LoadU(d4, row[3]);
      for (size_t q = 0; q < 4; ++q) row[q] += step[q];
      const auto even_lo = hn::InterleaveLower(d4, r0, r1);
      const auto odd_lo = hn::InterleaveLower(d4, r2, r3);
      const auto even_hi = hn::InterleaveUpper(d4, r0, r1);
      const auto odd_hi = hn::InterleaveUpper(d4, r2, r3);
      float* out = dst + p * width + j;
      hn::StoreU(hn::ConcatLowerLower(d4, odd_lo, even_lo), d4, out);
      hn::StoreU(hn::ConcatUpperUpper(d4, odd_lo, even_lo), d4, out + width);
      hn::StoreU(hn::ConcatLowerLower(d4, odd_hi, even_hi), d4, out + 2 * width);
      hn::StoreU(hn::ConcatUpperUpper(d4, odd_hi, even_hi), d4, out + 3 * width);
    }
    for (; p < kc; ++p)
      for (size_t q = 0; q < 4; ++q)
        dst[p * width + j + q] = step[q] ? src[(j + q) * ld + p] : 0.0f;
  }
#endif
  for (; j < width; ++j)
    for (size_t p = 0; p < kc; ++p) dst[p * width + j] = j < count ? src[j * ld + p] : 0.0f;
}

// B sliver rows b, b + step, b + 2 step, ... (packed slivers, or a matrix read in place).
struct SteppedRows {
  const float* b;
  size_t step;
  const float* operator[](size_t p) const { return b + p * step; }
};

// B sliver rows base + offsets[p]: an implicit GEMM's shifted runs of one input.
struct OffsetRows {
  const float* base;
  const int64_t* offsets;
  const float* operator[](size_t p) const { return base + offsets[p]; }
};

// kRows < kMr multiplies only the first kRows rows of the sliver (a short edge tile).
template <size_t kRows, class V, class Rows>
HWY_INLINE void MultiplySlivers(size_t kc, const float* HWY_RESTRICT a, const Rows& b_rows,
                                V (&acc0)[kRows], V (&acc1)[kRows]) {
  static_assert(kRows <= kMr, "a sliver holds kMr rows");
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  HWY_UNROLL(kMr)
  for (size_t r = 0; r < kRows; ++r) acc0[r] = acc1[r] = hn::Zero(d);
  for (size_t p = 0; p < kc; ++p, a += kMr) {
    const float* HWY_RESTRICT b = b_rows[p];
    const V b0 = hn::LoadU(d, b), b1 = hn::LoadU(d, b + lanes);
    HWY_UNROLL(kMr)
    for (size_t r = 0; r < kRows; ++r) {
      const V ar = hn::Set(d, a[r]);
      acc0[r] = hn::MulAdd(ar, b0, acc0[r]);
      acc1[r] = hn::MulAdd(ar, b1, acc1[r]);
    }
  }
}

// A task: C rows [i_begin, i_end) x columns [j_begin, j_end), all of k. Tasks share
// nothing, so one parallel loop over them needs no barrier.
struct Block {
  int64_t i_begin, i_end, j_begin, j_end;
};

// Splits C into `threads` blocks of whole tiles, rows x columns, choosing the grid whose
// largest block has the fewest tiles (rows first on ties: they re-pack the smaller B).
inline std::vector<Block> SplitC(int64_t m, int64_t n, int64_t threads) {
  const int64_t mr = kMr, nr = Nr();
  const int64_t row_tiles = (m + mr - 1) / mr, col_tiles = (n + nr - 1) / nr;
  const auto ceil_div = [](int64_t x, int64_t y) { return (x + y - 1) / y; };
  int64_t grid_rows = 1, grid_cols = 1, best_cost = row_tiles * col_tiles;
  for (int64_t rows = 1; rows <= threads; ++rows) {
    const int64_t cols = threads / rows;
    if (threads % rows != 0 || rows > row_tiles || cols > col_tiles) continue;
    const int64_t cost = ceil_div(row_tiles, rows) * ceil_div(col_tiles, cols);
    if (cost <= best_cost) grid_rows = rows, grid_cols = cols, best_cost = cost;
  }
  std::vector<Block> blocks;
  for (int64_t r = 0; r < grid_rows; ++r)
    for (int64_t c = 0; c < grid_cols; ++c)
      blocks.push_back({std::min(m, row_tiles * r / grid_rows * mr),
                        std::min(m, row_tiles * (r + 1) / grid_rows * mr),
                        std::min(n, col_tiles * c / grid_cols * nr),
                        std::min(n, col_tiles * (c + 1) / grid_cols * nr)});
  return blocks;
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
