// Highway implementation of gemm.h (the packed ternary GEMMs).
//
// Codes are decoded into small float slivers, width units wide (sliver[p * width + u] =
// T(o0 + u, p0 + p)): the sliver's bytes are first transposed unit-major to byte-major
// (scalar), then each byte column expands by shifts into 4 rows of floats in {-1, 0, +1}.
// The float slivers feed the register-blocked micro-tile of gemm (gemm_tile-inl.h):
// kMr x nr accumulators, one broadcast and two MulAdds per step.
//
// Linear (y[n, out] = x T^T), the loop nest of gemm.cc with B = T^T decoded:
//   o: units in panels of kNc                   (the decoded panel, kc x kNc, in L2)
//     p: k in blocks of at most kKc, a multiple of 4 (blocks start on whole bytes)
//        decode the panel in slivers nr units wide
//       i: kMr rows of x packed into a sliver   (kMr x kc, in L1)
//         micro-tile over each panel sliver; y = level * acc + bias on the first k block,
//         y += level * acc on later ones.
// At most kDotMaxRows rows of x (batch-1 inference) take the row-dot path instead: 4 units
// at a time, 16 codes are read as one 32-bit word, broadcast, shifted per lane and
// converted in registers; each x row MulAdds them, lanes are summed at the end.
//
// Taps (y_b[out, n] = T B_b, B_b row p a run of image b), A = T decoded, B read in place:
//   o: units in panels of kMc
//     p: k in blocks as above
//        decode the units in slivers kMr wide   (the A panel, kMc x kc, in L2)
//       b: every image of the call              (the decoded panel serves them all)
//         j: nr columns of the image            (in place; a partial last one is packed)
//           micro-tile over each A sliver; y as above, the bias per row.
// Every output is reduced over k in one order fixed by the sizes, and threads own disjoint
// output blocks, so results do not depend on the thread count.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/ternary/kernels/gemm.cc"
#include "quant/ternary/kernels/gemm.h"

#include <hwy/aligned_allocator.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "autograd/kernels/gemm_tile-inl.h"
#include "autograd/kernels/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace {  // gemm.cc defines helpers of the same names in this namespace

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using DC = hn::CappedTag<float, 16>;  // the row-dot path: 16 codes fill one 32-bit word

constexpr int64_t kKc = 256;  // k block; a multiple of 4
constexpr int64_t kNc = 512;  // units per decoded linear panel: kKc x kNc floats = 512 KiB
constexpr int64_t kMc = 240;  // units per decoded A panel (a multiple of kMr): 240 KiB
constexpr int64_t kDotMaxRows = 3;
constexpr int64_t kDotUnits = 4;
// Below this many multiply-adds one thread does it all; the row-dot path counts codes.
constexpr int64_t kParallelWork = int64_t{1} << 21;
constexpr int64_t kParallelCodes = int64_t{1} << 20;

// Threads to split a call over: one inside another op's parallel loop (a nested loop would
// run serially anyway, and one block decodes each code once).
int64_t Threads() { return omp_in_parallel() ? 1 : num_threads(); }

// A grow-only, aligned buffer of the calling thread; its contents do not outlive a block.
template <class T>
T* Grow(hwy::AlignedFreeUniquePtr<T[]>& buffer, size_t& capacity, size_t count) {
  if (capacity < count) buffer = hwy::AllocateAligned<T>(capacity = count);
  return buffer.get();
}

struct Problem {
  const float* x;  // linear: [n, k]; taps: the input of the runs
  int64_t batch, n, k;
  const uint8_t* packed;
  int64_t out, bytes_per_row;
  float level;
  const float* bias;  // [out] or nullptr
  float* y;           // linear: [n, out]; taps: batch matrices [out, n]
  // taps: row p of image b's B operand is x + b * image_stride + offsets[p] (n floats)
  int64_t image_stride = 0;
  const int64_t* offsets = nullptr;
};

// ------------------------------ decoding

// Field kField (0..3) of every byte lane as a float code: the two bits shifted to the top
// of the 32-bit lane, then arithmetically back down (01 -> +1, 11 -> -1, 00 -> 0).
template <int kField, class VU>
HWY_INLINE V FieldAsFloat(VU bytes) {
  const D d;
  const hn::RebindToSigned<D> di;
  return hn::ConvertTo(d,
                       hn::ShiftRight<30>(hn::BitCast(di, hn::ShiftLeft<30 - 2 * kField>(bytes))));
}

// row[0, count) = field kField of bytes[0, count), whole vectors: writes up to Lanes - 1
// floats past count (the next row, decoded after this one, or the sliver's slack).
template <int kField>
HWY_INLINE void StoreField(const uint8_t* HWY_RESTRICT bytes, size_t count, float* row) {
  const D d;
  const hn::Rebind<uint32_t, D> du32;
  const hn::Rebind<uint8_t, D> du8;
  for (size_t h = 0; h < count; h += hn::Lanes(d))
    hn::StoreU(FieldAsFloat<kField>(hn::PromoteTo(du32, hn::LoadU(du8, bytes + h))), d, row + h);
}

// Floats a decoded sliver needs: its 4 * byte_count rows of width plus one vector of slack.
size_t SliverFloats(size_t byte_count, size_t width) {
  return 4 * byte_count * width + hn::Lanes(D());
}

// Units [o0, o0 + units) x codes [p0, p0 + 4 * byte_count) of T as a sliver `width` units
// wide: sliver[p * width + u] = T(o0 + u, p0 + p), zero for units <= u < width.
// `bytes` is scratch of byte_count * RoundUp(width, Lanes) bytes.
void DecodeSliver(const Problem& pr, int64_t o0, size_t units, size_t width, int64_t p0,
                  size_t byte_count, uint8_t* HWY_RESTRICT bytes, float* HWY_RESTRICT sliver) {
  const size_t lanes = hn::Lanes(D()), stride = (width + lanes - 1) / lanes * lanes;
  for (size_t u = 0; u < stride; ++u) {
    if (u >= units) {
      for (size_t b = 0; b < byte_count; ++b) bytes[b * stride + u] = 0;
      continue;
    }
    const uint8_t* row = pr.packed + (o0 + int64_t(u)) * pr.bytes_per_row + p0 / 4;
    for (size_t b = 0; b < byte_count; ++b) bytes[b * stride + u] = row[b];
  }
  for (size_t b = 0; b < byte_count; ++b, bytes += stride, sliver += 4 * width) {
    StoreField<0>(bytes, width, sliver);
    StoreField<1>(bytes, width, sliver + width);
    StoreField<2>(bytes, width, sliver + 2 * width);
    StoreField<3>(bytes, width, sliver + 3 * width);
  }
}

// Units [o0, o0 + units) decoded as consecutive slivers `width` wide: sliver s, units
// o0 + s * width onwards, at panel + s * SliverFloats(byte_count, width).
void DecodePanel(const Problem& pr, int64_t o0, int64_t units, size_t width, int64_t p0,
                 size_t byte_count, uint8_t* HWY_RESTRICT bytes, float* HWY_RESTRICT panel) {
  const size_t sliver_floats = SliverFloats(byte_count, width);
  for (int64_t u = 0; u < units; u += int64_t(width))
    DecodeSliver(pr, o0 + u, size_t(std::min<int64_t>(int64_t(width), units - u)), width, p0,
                 byte_count, bytes, panel + size_t(u) / width * sliver_floats);
}

// The calling thread's scratch for one block: a decoded panel, a sliver of the other
// operand and the bytes DecodeSliver transposes (grown on demand, kept between calls).
struct Scratch {
  float* panel;
  float* sliver;
  uint8_t* bytes;
};
Scratch ThreadScratch(size_t panel_floats, size_t sliver_floats, size_t byte_count) {
  thread_local hwy::AlignedFreeUniquePtr<float[]> panel, sliver;
  thread_local hwy::AlignedFreeUniquePtr<uint8_t[]> bytes;
  thread_local size_t panel_size = 0, sliver_size = 0, byte_size = 0;
  return {Grow(panel, panel_size, panel_floats), Grow(sliver, sliver_size, sliver_floats),
          Grow(bytes, byte_size, byte_count)};
}

// Calls body(p0, kc, byte_count) for the k blocks [p0, p0 + kc) in order.
template <class Body>
void ForEachKBlock(int64_t k, int64_t kc_max, const Body& body) {
  for (int64_t p0 = 0; p0 < k; p0 += kc_max) {
    const size_t kc = size_t(std::min(kc_max, k - p0));
    body(p0, kc, (kc + 3) / 4);
  }
}

// ------------------------------ micro-tile

// Where a micro-tile's results go: y(r, j) = y[r * ld + j] for r < rows, j < cols.
struct TileOut {
  float* y;
  int64_t ld;
  size_t rows, cols;
  const float* bias;  // bias(r, j) = bias[r] (per_row) or bias[j]; nullptr for none
  bool per_row, first;
};

// y = level * (A sliver x B sliver) + base, base = the bias (or 0) on the first k block,
// else y itself; kRows >= t.rows rows of the sliver are multiplied.
template <size_t kRows, class Rows>
void MicroTile(const Problem& pr, size_t kc, const float* HWY_RESTRICT a, const Rows& b_rows,
               const TileOut& t) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  V acc0[kRows], acc1[kRows];
  MultiplySlivers(kc, a, b_rows, acc0, acc1);
  const auto write = [&](auto dw, auto acc, size_t r, size_t j) {
    float* y = t.y + int64_t(r) * t.ld + int64_t(j);
    const auto base = !t.first    ? hn::LoadU(dw, y)
                      : !t.bias   ? hn::Zero(dw)
                      : t.per_row ? hn::Set(dw, t.bias[r])
                                  : hn::LoadU(dw, t.bias + j);
    hn::StoreU(hn::MulAdd(hn::Set(dw, pr.level), acc, base), dw, y);
  };
  const hn::CappedTag<float, 1> d1;
  HWY_UNROLL(kMr)
  for (size_t r = 0; r < kRows; ++r) {
    if (r >= t.rows) break;
    if (t.cols == 2 * lanes) {
      write(d, acc0[r], r, 0);
      write(d, acc1[r], r, lanes);
      continue;
    }
    HWY_ALIGN float tile_row[2 * HWY_MAX_BYTES / sizeof(float)];  // an edge tile, lane by lane
    hn::Store(acc0[r], d, tile_row);
    hn::Store(acc1[r], d, tile_row + lanes);
    for (size_t j = 0; j < t.cols; ++j) write(d1, hn::LoadU(d1, tile_row + j), r, j);
  }
}

// A tile of t.rows valid rows: short edge tiles multiply only 4 or 8 rows, not kMr (each
// output's sum is the same sequence of MulAdds whichever runs it).
template <class Rows>
void MicroKernel(const Problem& pr, size_t kc, const float* HWY_RESTRICT a, const Rows& b_rows,
                 const TileOut& t) {
  constexpr size_t kHalf = kMr > 8 ? 8 : kMr;
  if (t.rows <= 4) return MicroTile<4>(pr, kc, a, b_rows, t);
  if (t.rows <= kHalf) return MicroTile<kHalf>(pr, kc, a, b_rows, t);
  MicroTile<kMr>(pr, kc, a, b_rows, t);
}

// k blocks: balanced, at most kKc, a multiple of 4, fixed by k alone (the reduction order).
int64_t KBlock(int64_t k) {
  const int64_t blocks = (k + kKc - 1) / kKc;
  return ((k + blocks - 1) / blocks + 3) / 4 * 4;
}

// ------------------------------ linear: panel path

// sliver[p * kMr + r] = x[i0 + r][p0 + p] for r < rows, zero for rows <= r < kMr.
void PackX(const Problem& pr, int64_t i0, size_t rows, int64_t p0, size_t kc,
           float* HWY_RESTRICT sliver) {
  PackTransposed(pr.x + i0 * pr.k + p0, pr.k, rows, kc, sliver, kMr);
}

// y rows [i_begin, i_end) x units [j_begin, j_end) (a SplitC block).
void LinearBlock(const Problem& pr, int64_t kc_max, const Block& block) {
  const size_t nr = Nr(), max_bytes = size_t(kc_max) / 4;
  const Scratch scratch = ThreadScratch((kNc / nr + 1) * SliverFloats(max_bytes, nr),
                                        kMr * size_t(kc_max), max_bytes * nr);
  for (int64_t o0 = block.j_begin; o0 < block.j_end; o0 += kNc) {
    const int64_t nc = std::min(kNc, block.j_end - o0);
    ForEachKBlock(pr.k, kc_max, [&](int64_t p0, size_t kc, size_t byte_count) {
      DecodePanel(pr, o0, nc, nr, p0, byte_count, scratch.bytes, scratch.panel);
      for (int64_t i0 = block.i_begin; i0 < block.i_end; i0 += kMr) {
        const size_t rows = size_t(std::min<int64_t>(kMr, block.i_end - i0));
        PackX(pr, i0, rows, p0, kc, scratch.sliver);
        for (int64_t j = 0; j < nc; j += nr) {
          const float* bias = pr.bias ? pr.bias + o0 + j : nullptr;
          const size_t cols = size_t(std::min<int64_t>(nr, nc - j));
          const TileOut t{pr.y + i0 * pr.out + o0 + j, pr.out, rows, cols, bias, false, p0 == 0};
          MicroKernel(
              pr, kc, scratch.sliver,
              SteppedRows{scratch.panel + size_t(j) / nr * SliverFloats(byte_count, nr), nr}, t);
        }
      }
    });
  }
}

// ------------------------------ linear: row-dot path

// Codes p .. p + Lanes(dc) - 1 of one packed row as floats (p a multiple of the lanes);
// shifts[l] = 30 - 2 l moves code l of the word to the top of lane l.
HWY_INLINE hn::Vec<DC> DecodeCodes(const uint8_t* row, int64_t p,
                                   hn::Vec<hn::RebindToUnsigned<DC>> shifts) {
  const DC dc;
  const hn::RebindToUnsigned<DC> du;
  const hn::RebindToSigned<DC> di;
  const size_t bytes = (hn::Lanes(dc) + 3) / 4;
  uint32_t word = 0;
  for (size_t b = 0; b < bytes; ++b) word |= uint32_t(row[p / 4 + int64_t(b)]) << (8 * b);
  word >>= 2 * (p % 4);
  return hn::ConvertTo(dc, hn::ShiftRight<30>(hn::BitCast(di, hn::Set(du, word) << shifts)));
}

float CodeAt(const uint8_t* row, int64_t p) {
  const int field = (row[p / 4] >> (2 * (p % 4))) & 3;
  return float((field ^ 2) - 2);  // 00 -> 0, 01 -> +1, 11 -> -1
}

// y[0, kRows) x units [o_begin, o_end) for kRows == n rows of x: kDotUnits units at a time,
// each vector of codes decoded once for all rows.
template <size_t kRows>
void DotRows(const Problem& pr, int64_t o_begin, int64_t o_end) {
  const DC dc;
  const hn::RebindToUnsigned<DC> du;
  const size_t lanes = hn::Lanes(dc);
  const auto shifts = hn::Sub(hn::Set(du, 30u), hn::ShiftLeft<1>(hn::Iota(du, 0)));
  const int64_t k = pr.k;
  for (int64_t o = o_begin; o < o_end; o += kDotUnits) {
    const int64_t units = std::min(kDotUnits, o_end - o);
    const uint8_t* rows[kDotUnits];  // missing units repeat the last one (never written)
    for (int64_t u = 0; u < kDotUnits; ++u)
      rows[u] = pr.packed + (o + std::min(u, units - 1)) * pr.bytes_per_row;
    hn::Vec<DC> acc[kDotUnits][kRows];
    for (auto& unit : acc)
      for (auto& a : unit) a = hn::Zero(dc);
    int64_t p = 0;
    for (; p + int64_t(lanes) <= k; p += int64_t(lanes)) {
      hn::Vec<DC> xv[kRows];
      for (size_t i = 0; i < kRows; ++i) xv[i] = hn::LoadU(dc, pr.x + int64_t(i) * k + p);
      for (int64_t u = 0; u < kDotUnits; ++u) {
        const auto codes = DecodeCodes(rows[u], p, shifts);
        for (size_t i = 0; i < kRows; ++i) acc[u][i] = hn::MulAdd(codes, xv[i], acc[u][i]);
      }
    }
    for (int64_t u = 0; u < units; ++u)
      for (size_t i = 0; i < kRows; ++i) {
        float sum = hn::GetLane(hn::SumOfLanes(dc, acc[u][i]));
        for (int64_t q = p; q < k; ++q) sum += pr.x[int64_t(i) * k + q] * CodeAt(rows[u], q);
        pr.y[int64_t(i) * pr.out + o + u] = pr.level * sum + (pr.bias ? pr.bias[o + u] : 0.0f);
      }
  }
}

void DotPath(const Problem& pr) {
  const auto rows = [&](int64_t o_begin, int64_t o_end) {
    switch (pr.n) {
      case 1:
        return DotRows<1>(pr, o_begin, o_end);
      case 2:
        return DotRows<2>(pr, o_begin, o_end);
      default:
        return DotRows<3>(pr, o_begin, o_end);
    }
  };
  const int64_t tiles = (pr.out + kDotUnits - 1) / kDotUnits;
  const int64_t parts = pr.k * pr.out >= kParallelCodes ? std::min(Threads(), tiles) : 1;
  parallel_for(parts, [&](int64_t t) {
    rows(std::min(pr.out, tiles * t / parts * kDotUnits),
         std::min(pr.out, tiles * (t + 1) / parts * kDotUnits));
  });
}

// ------------------------------ columns

// Units [i_begin, i_end) x columns [j_begin, j_end) of every image (a SplitC block).
void ColumnsBlock(const Problem& pr, int64_t kc_max, const Block& block) {
  const size_t nr = Nr(), max_bytes = size_t(kc_max) / 4;
  const Scratch scratch = ThreadScratch((kMc / kMr) * SliverFloats(max_bytes, kMr),
                                        nr * size_t(kc_max), max_bytes * (kMr + hn::Lanes(D())));
  for (int64_t o0 = block.i_begin; o0 < block.i_end; o0 += kMc) {
    const int64_t mc = std::min(kMc, block.i_end - o0);
    ForEachKBlock(pr.k, kc_max, [&](int64_t p0, size_t kc, size_t byte_count) {
      DecodePanel(pr, o0, mc, kMr, p0, byte_count, scratch.bytes, scratch.panel);
      for (int64_t image = 0; image < pr.batch; ++image) {
        const float* input = pr.x + image * pr.image_stride;
        float* y = pr.y + image * pr.out * pr.n;
        for (int64_t j = block.j_begin; j < block.j_end; j += int64_t(nr)) {
          const size_t cols = size_t(std::min<int64_t>(nr, block.j_end - j));
          const OffsetRows runs{input + j, pr.offsets + p0};
          if (cols < nr)  // a partial sliver: packed, zero padded
            for (size_t p = 0; p < kc; ++p)
              for (size_t c = 0; c < nr; ++c)
                scratch.sliver[p * nr + c] = c < cols ? runs[p][c] : 0.0f;
          for (int64_t i = 0; i < mc; i += kMr) {
            const float* bias = pr.bias ? pr.bias + o0 + i : nullptr;
            const size_t rows = size_t(std::min<int64_t>(kMr, mc - i));
            const TileOut t{y + (o0 + i) * pr.n + j, pr.n, rows, cols, bias, true, p0 == 0};
            const float* a = scratch.panel + size_t(i) / kMr * SliverFloats(byte_count, kMr);
            if (cols < nr) {
              MicroKernel(pr, kc, a, SteppedRows{scratch.sliver, nr}, t);
            } else {
              MicroKernel(pr, kc, a, runs, t);
            }
          }
        }
      }
    });
  }
}

// ------------------------------ dispatch

template <class RunBlock>
void RunBlocks(const Problem& pr, int64_t rows, int64_t cols, const RunBlock& run_block) {
  const bool parallel = pr.batch * pr.n * pr.k * pr.out >= kParallelWork;
  const std::vector<Block> blocks = SplitC(rows, cols, parallel ? Threads() : 1);
  const int64_t kc_max = KBlock(pr.k);
  parallel_for(int64_t(blocks.size()),
               [&](int64_t t) { run_block(pr, kc_max, blocks[size_t(t)]); });
}

// k == 0: every output is its bias (or zero).
void BiasOnly(const Problem& pr, bool columns) {
  for (int64_t image = 0; image < pr.batch; ++image)
    for (int64_t i = 0; i < pr.n * pr.out; ++i) {
      const int64_t unit = columns ? i / pr.n : i % pr.out;
      pr.y[image * pr.n * pr.out + i] = pr.bias ? pr.bias[unit] : 0.0f;
    }
}

}  // namespace

void LinearImpl(const float* x, int64_t n, int64_t k, const uint8_t* packed, int64_t out,
                int64_t bytes_per_row, float level, const float* bias, float* y) {
  const Problem pr{x, 1, n, k, packed, out, bytes_per_row, level, bias, y};
  if (pr.n <= 0 || pr.out <= 0) return;
  if (pr.k <= 0) return BiasOnly(pr, false);
  if (pr.n <= kDotMaxRows) return DotPath(pr);
  RunBlocks(pr, pr.n, pr.out, LinearBlock);
}

void TapsImpl(const TapRuns& runs, int64_t k, int64_t n, const uint8_t* packed, int64_t out,
              int64_t bytes_per_row, float level, const float* bias, float* y) {
  const Problem pr{runs.input,        runs.batch,  n, k, packed, out, bytes_per_row, level, bias, y,
                   runs.image_stride, runs.offsets};
  if (pr.batch <= 0 || pr.n <= 0 || pr.out <= 0) return;
  if (pr.k <= 0) return BiasOnly(pr, true);
  RunBlocks(pr, pr.out, pr.n, ColumnsBlock);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(LinearImpl);
HWY_EXPORT(TapsImpl);

void ternary_gemm(const float* x, int64_t n, int64_t k, const uint8_t* packed, int64_t out_rows,
                  int64_t bytes_per_row, float level, const float* bias, float* y) {
  HWY_DYNAMIC_DISPATCH(LinearImpl)(x, n, k, packed, out_rows, bytes_per_row, level, bias, y);
}

void ternary_gemm_taps(const TapRuns& runs, int64_t k, int64_t n, const uint8_t* packed,
                       int64_t out_rows, int64_t bytes_per_row, float level, const float* bias,
                       float* y) {
  HWY_DYNAMIC_DISPATCH(TapsImpl)(runs, k, n, packed, out_rows, bytes_per_row, level, bias, y);
}

void ternary_gemm_columns(const float* columns, int64_t batch, int64_t k, int64_t n,
                          const uint8_t* packed, int64_t out_rows, int64_t bytes_per_row,
                          float level, const float* bias, float* y) {
  const std::vector<int64_t> offsets = column_offsets(k, n);
  ternary_gemm_taps({columns, k * n, offsets.data(), batch}, k, n, packed, out_rows, bytes_per_row,
                    level, bias, y);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
