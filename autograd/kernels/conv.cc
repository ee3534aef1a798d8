// Highway implementation of conv.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/conv.cc"
#include "autograd/kernels/conv.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/strided-inl.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Walks the column matrix (rows ld floats apart) row by row: fn(image_row, column, inside,
// kx) for every (channel, ky, kx, oy); image_row is the input row that tap ky reads (-1 when
// it is padding), column where output row oy of tap (c, ky, kx) starts in the matrix, and
// inside the outputs ox whose tap kx lies inside that row.
template <class Fn>
HWY_INLINE void ForEachColumnRow(int64_t channels, const Window2d& w, int64_t ld, const Fn& fn) {
  const int64_t out_h = w.out_height(), out_w = w.out_width();
  int64_t tap = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kernel_h; ++ky)
      for (int64_t kx = 0; kx < w.kernel_w; ++kx, ++tap) {
        const IndexRange inside = inside_outputs(kx, w.width, out_w, w.stride, w.padding);
        for (int64_t oy = 0; oy < out_h; ++oy) {
          const int64_t iy = oy * w.stride - w.padding + ky;
          const bool padding_row = iy < 0 || iy >= w.height;
          fn(padding_row ? -1 : (c * w.height + iy) * w.width, tap * ld + oy * out_w, inside, kx);
        }
      }
}

// True when a vector of `lanes` outputs starting at ox reads only inside the row.
inline bool RowFits(const Window2d& w, int64_t kx, int64_t taps, int64_t ox, int64_t lanes) {
  return ox * w.stride - w.padding + kx + Reach(lanes, w.stride, taps) < w.width;
}

void Im2colImpl(const float* image, int64_t channels, const Window2d& w, float* columns) {
  const int64_t out_w = w.out_width(), s = w.stride;
  ForEachColumnRow(
      channels, w, w.out_plane(), [&](int64_t row, int64_t col, IndexRange inside, int64_t kx) {
        float* dst = columns + col;
        if (row < 0) {
          std::fill(dst, dst + out_w, 0.0f);
          return;
        }
        std::fill(dst, dst + inside.begin, 0.0f);
        std::fill(dst + inside.end, dst + out_w, 0.0f);
        const float* src = image + row;  // output ox reads src[ox * s + shift]
        const int64_t shift = kx - w.padding;
        const auto fits = [&](int64_t ox, int64_t lanes) { return RowFits(w, kx, 1, ox, lanes); };
        int64_t ox = ForVectors(inside.begin, inside.end, fits, [&](auto d, int64_t i) HWY_ATTR {
          hn::StoreU(LoadTap(d, src + i * s + shift, s), d, dst + i);
        });
        for (; ox < inside.end; ++ox) dst[ox] = src[ox * s + shift];
      });
}

// fn(d, src + r * src_step + j, dst + r * dst_step + j) for rows r < rows and the vectors
// j < n of each: in one vector width for all rows when one of full, 8 or 4 lanes divides n
// (the short rows of small images: one width chosen once, no tail), else per row in the
// widest vectors that fit, then single lanes.
template <class Fn>
HWY_INLINE void ForRuns(const float* src, int64_t src_step, float* dst, int64_t dst_step,
                        int64_t rows, int64_t n, const Fn& fn) {
  const auto uniform = [&](auto d) HWY_ATTR {
    const int64_t lanes = int64_t(hn::Lanes(d));
    if (n % lanes != 0) return false;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; j += lanes) fn(d, src + r * src_step + j, dst + r * dst_step + j);
    return true;
  };
  if (uniform(hn::ScalableTag<float>()) || uniform(hn::CappedTag<float, 8>()) ||
      uniform(hn::CappedTag<float, 4>()))
    return;
  const auto always = [](int64_t, int64_t) { return true; };
  for (int64_t r = 0; r < rows; ++r) {
    const float* row_src = src + r * src_step;
    float* row_dst = dst + r * dst_step;
    int64_t j = ForVectors(0, n, always,
                           [&](auto d, int64_t i) HWY_ATTR { fn(d, row_src + i, row_dst + i); });
    for (; j < n; ++j) fn(hn::CappedTag<float, 1>(), row_src + j, row_dst + j);
  }
}

// Col2im for stride 1: column row (c, ky, kx) adds whole runs into the image rows, the rows
// and columns inside the image found once per row of the kernel (not per output row), the
// vector width once per column row (rows of 8 floats, LeNet conv2, take one 8-lane add).
void Col2imStride1(const float* columns, int64_t ld, int64_t channels, const Window2d& w,
                   float* image) {
  const int64_t out_h = w.out_height(), out_w = w.out_width(), pad = w.padding;
  const float* column_row = columns;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
      const IndexRange rows = inside_outputs(ky, w.height, out_h, 1, pad);
      for (int64_t kx = 0; kx < w.kernel_w; ++kx, column_row += ld) {
        const IndexRange cols = inside_outputs(kx, w.width, out_w, 1, pad);
        const int64_t n = cols.end - cols.begin, count = rows.end - rows.begin;
        if (count <= 0 || n <= 0) continue;
        const float* src = column_row + rows.begin * out_w + cols.begin;
        float* dst =
            image + (c * w.height + rows.begin + ky - pad) * w.width + cols.begin + kx - pad;
        ForRuns(src, out_w, dst, w.width, count, n,
                [](auto d, const float* from, float* to)
                    HWY_ATTR { hn::StoreU(hn::Add(hn::LoadU(d, to), hn::LoadU(d, from)), d, to); });
      }
    }
}

void Col2imImpl(const float* columns, int64_t ld, int64_t channels, const Window2d& w,
                float* image) {
  if (w.stride == 1) return Col2imStride1(columns, ld, channels, w, image);
  const int64_t s = w.stride;
  ForEachColumnRow(channels, w, ld, [&](int64_t row, int64_t col, IndexRange inside, int64_t kx) {
    if (row < 0) return;
    const float* src = columns + col;
    float* dst = image + row;  // output ox adds into dst[ox * s + shift]
    const int64_t shift = kx - w.padding;
    const auto fits = [&](int64_t ox, int64_t lanes) { return RowFits(w, kx, 1, ox, lanes); };
    int64_t ox = ForVectors(inside.begin, inside.end, fits, [&](auto d, int64_t i) HWY_ATTR {
      AddToTaps(d, dst + i * s + shift, s, 1, hn::LoadU(d, src + i));
    });
    for (; ox < inside.end; ++ox) dst[ox * s + shift] += src[ox];
  });
}

// ---- Stride-1 convolution on wide rows (see WideConv) ----------------------------------

// Copy (c, kx) of a shifted input: input[((c * kernel_w + kx) * height + iy) * width + ox] =
// x[c][iy - padding][ox + kx - padding], zero outside x; the columns that read x found once
// per copy, its rows copied as runs (ForRuns).
void ShiftedInputImpl(const float* x, const WideConv& g, int64_t padding, float* input) {
  const int64_t h = g.height - 2 * padding, w = g.width + g.kernel_w - 1 - 2 * padding;
  float* copy = input;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kx = 0; kx < g.kernel_w; ++kx, copy += g.plane()) {
      const int64_t shift = kx - padding;  // output column ox reads x column ox + shift
      const int64_t begin = std::clamp<int64_t>(-shift, 0, g.width);
      const int64_t end = std::clamp<int64_t>(w - shift, begin, g.width);
      float* rows = copy + padding * g.width;  // the rows that read x
      if (padding > 0) {
        std::fill(copy, rows, 0.0f);
        std::fill(rows + h * g.width, copy + g.plane(), 0.0f);
        for (int64_t y = 0; y < h; ++y) {
          std::fill(rows + y * g.width, rows + y * g.width + begin, 0.0f);
          std::fill(rows + y * g.width + end, rows + (y + 1) * g.width, 0.0f);
        }
      }
      ForRuns(x + c * h * w + begin + shift, w, rows + begin, g.width, h, end - begin,
              [](auto d, const float* from, float* to)
                  HWY_ATTR { hn::StoreU(hn::LoadU(d, from), d, to); });
    }
  std::fill(copy, input + g.input_size(), 0.0f);
}

// Register tiles: kRows output channels x kVecs vectors of positions (forward), and
// kGradRows channels x kGradTaps taps (weight gradient); 32 vector registers with AVX-512,
// 16 on the other x86 targets.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kMaxRows = 6, kVecs = 4, kGradRows = 4, kGradTaps = 6;
#else
constexpr size_t kMaxRows = 4, kVecs = 2, kGradRows = 2, kGradTaps = 4;
#endif

// Multiply-adds below which one wide call stays on the calling thread.
constexpr int64_t kParallelWork = int64_t{1} << 21;

// Offset of every tap (c, ky, kx) from position 0, in a buffer of the calling thread that
// the next call overwrites (no allocation per call: small images make one call per image).
const std::vector<int64_t>& TapOffsets(const WideConv& g) {
  thread_local std::vector<int64_t> offsets;
  offsets.clear();
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ky = 0; ky < g.kernel_h; ++ky)
      for (int64_t kx = 0; kx < g.kernel_w; ++kx) offsets.push_back(g.tap_offset(c, ky, kx));
  return offsets;
}

// One wide_conv call as its tiles see it.
struct WideProblem {
  const float* input;
  const int64_t* offsets;  // of every tap from position 0
  int64_t taps;
  const float* weight;  // [out_channels][taps]
  const float* bias;    // [out_channels], or nullptr
  int64_t out_channels;
  float* out;
  int64_t ldo;
  bool accumulate;
};

// out rows [co, co + rows) at positions [q, q + kTileVecs * lanes): rows past `rows` repeat
// the last weight row and are not stored, so every tile runs the same full-size loop.
template <size_t kRows, size_t kTileVecs>
HWY_INLINE void WideConvTile(const WideProblem& pr, int64_t co, size_t rows, int64_t q) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const float* w[kRows];
  for (size_t r = 0; r < kRows; ++r)
    w[r] = pr.weight + (co + int64_t(std::min(r, rows - 1))) * pr.taps;
  hn::Vec<decltype(d)> acc[kRows][kTileVecs];
  for (size_t r = 0; r < kRows; ++r) {
    const float start = pr.bias != nullptr ? pr.bias[co + int64_t(std::min(r, rows - 1))] : 0.0f;
    for (size_t v = 0; v < kTileVecs; ++v) acc[r][v] = hn::Set(d, start);
  }
  const float* HWY_RESTRICT at_q = pr.input + q;
  const int64_t* HWY_RESTRICT offsets = pr.offsets;
  for (int64_t k = 0; k < pr.taps; ++k) {
    const float* src = at_q + offsets[k];
    hn::Vec<decltype(d)> x[kTileVecs];
    for (size_t v = 0; v < kTileVecs; ++v) x[v] = hn::LoadU(d, src + v * lanes);
    for (size_t r = 0; r < kRows; ++r) {
      const auto wr = hn::Set(d, w[r][k]);
      for (size_t v = 0; v < kTileVecs; ++v) acc[r][v] = hn::MulAdd(wr, x[v], acc[r][v]);
    }
  }
  for (size_t r = 0; r < rows; ++r)
    for (size_t v = 0; v < kTileVecs; ++v) {
      float* o = pr.out + (co + int64_t(r)) * pr.ldo + q + int64_t(v * lanes);
      hn::StoreU(pr.accumulate ? hn::Add(hn::LoadU(d, o), acc[r][v]) : acc[r][v], d, o);
    }
}

// Calls tile(t) for t < tiles: on the calling thread for small problems (and inside an outer
// parallel region), else split over the threads. Tiles write disjoint outputs, each in a
// fixed order, so the split never changes a result.
template <class Tile>
void ForEachTile(int64_t tiles, int64_t multiply_adds, const Tile& tile) {
  if (multiply_adds < kParallelWork) {
    for (int64_t t = 0; t < tiles; ++t) tile(t);
  } else {
    parallel_for(tiles, tile);
  }
}

// Tiles of kRows output channels x kVecs vectors of positions; the positions left over at
// the end of each row block form one tile of their exact number of vectors.
template <size_t kRows>
void WideConvRows(const WideProblem& pr, int64_t positions) {
  const int64_t lanes = int64_t(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t block = int64_t(kVecs) * lanes, full = positions / block;
  const int64_t col_tiles = full + (positions % block != 0 ? 1 : 0);
  const int64_t row_tiles = (pr.out_channels + int64_t(kRows) - 1) / int64_t(kRows);
  const auto tile = [&](int64_t t) HWY_ATTR {
    const int64_t co = t / col_tiles * int64_t(kRows), q = t % col_tiles * block;
    const size_t rows = size_t(std::min<int64_t>(kRows, pr.out_channels - co));
    if (q / block < full) return WideConvTile<kRows, kVecs>(pr, co, rows, q);
    const int64_t tail = (positions - q) / lanes;
    if (tail == 3 && kVecs > 3) WideConvTile<kRows, 3>(pr, co, rows, q);
    if (tail == 2 && kVecs > 2) WideConvTile<kRows, 2>(pr, co, rows, q);
    if (tail == 1) WideConvTile<kRows, 1>(pr, co, rows, q);
  };
  ForEachTile(row_tiles * col_tiles, pr.out_channels * pr.taps * positions, tile);
}

// Runs WideConvRows with the tile height `rows` (1..kRows) as a compile-time constant.
template <size_t kRows>
void WideConvWithRows(size_t rows, const WideProblem& pr, int64_t positions) {
  if constexpr (kRows > 1) {
    if (rows < kRows) return WideConvWithRows<kRows - 1>(rows, pr, positions);
  }
  WideConvRows<kRows>(pr, positions);
}

void WideConvImpl(const float* input, const WideConv& g, const float* weight, const float* bias,
                  int64_t out_channels, float* out, int64_t ldo, bool accumulate) {
  const std::vector<int64_t>& offsets = TapOffsets(g);
  // The tile height with the fewest instructions per tap over all row blocks: each block
  // spends rows * kVecs MulAdds, kVecs loads and `rows` broadcasts.
  const auto cost = [&](size_t rows) {
    const size_t blocks = (size_t(out_channels) + rows - 1) / rows;
    return blocks * (rows * kVecs + kVecs + rows);
  };
  size_t best = kMaxRows;
  for (size_t rows = kMaxRows - 1; rows >= 1; --rows)
    if (cost(rows) < cost(best)) best = rows;
  const WideProblem pr{input, offsets.data(), g.taps(), weight, bias, out_channels, out,
                       ldo,   accumulate};
  WideConvWithRows<kMaxRows>(best, pr, g.padded_positions());
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// out[0..4) += the lane sums of a, b, c, e: the four reduced together, in-block interleaves
// then one add per block (about a third of the instructions of four SumOfLanes).
template <class D, class V>
HWY_INLINE void AddSumsOf4(D d, V a, V b, V c, V e, float* out) {
  const hn::Repartition<double, D> dd;
  // Per block: [a0+a2, b0+b2, a1+a3, b1+b3] and the same for c, e.
  const V ab = hn::Add(hn::InterleaveLower(d, a, b), hn::InterleaveUpper(d, a, b));
  const V ce = hn::Add(hn::InterleaveLower(d, c, e), hn::InterleaveUpper(d, c, e));
  // Per block: [a, b, c, e] summed over the block's four lanes.
  const auto lo = hn::InterleaveLower(dd, hn::BitCast(dd, ab), hn::BitCast(dd, ce));
  const auto hi = hn::InterleaveUpper(dd, hn::BitCast(dd, ab), hn::BitCast(dd, ce));
  HWY_ALIGN float blocks[hn::MaxLanes(d)];
  hn::Store(hn::Add(hn::BitCast(d, lo), hn::BitCast(d, hi)), d, blocks);
  const hn::Full128<float> d4;
  auto total = hn::LoadU(d4, out);
  for (size_t i = 0; i < hn::Lanes(d); i += 4) total = hn::Add(total, hn::Load(d4, blocks + i));
  hn::StoreU(total, d4, out);
}
#endif

// dw rows [co, co + rows) x taps [k, k + taps) += kR x kT vector sums over all positions
// of all images, then one horizontal sum each. Missing rows and taps repeat the last ones
// and are not stored.
template <size_t kR, size_t kT>
void WideGradTile(const WideImages& images, const int64_t* HWY_RESTRICT offsets, size_t taps,
                  const float* HWY_RESTRICT dy, size_t rows, int64_t positions,
                  float* HWY_RESTRICT dw, int64_t ldw) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  hn::Vec<decltype(d)> acc[kR][kT];
  for (size_t r = 0; r < kR; ++r)
    for (size_t t = 0; t < kT; ++t) acc[r][t] = hn::Zero(d);
  for (int64_t i = 0; i < images.count; ++i) {
    const float* dy_row[kR];
    const float* tap[kT];
    for (size_t r = 0; r < kR; ++r)
      dy_row[r] = dy + i * images.dy_stride + std::min(r, rows - 1) * images.ldd;
    for (size_t t = 0; t < kT; ++t)
      tap[t] = images.input + i * images.input_stride + offsets[std::min(t, taps - 1)];
    for (int64_t q = 0; q < positions; q += lanes) {
      hn::Vec<decltype(d)> x[kT];
      for (size_t t = 0; t < kT; ++t) x[t] = hn::LoadU(d, tap[t] + q);
      for (size_t r = 0; r < kR; ++r) {
        const auto g = hn::LoadU(d, dy_row[r] + q);
        for (size_t t = 0; t < kT; ++t) acc[r][t] = hn::MulAdd(g, x[t], acc[r][t]);
      }
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    size_t t = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    for (; t + 4 <= taps; t += 4)
      AddSumsOf4(d, acc[r][t], acc[r][t + 1], acc[r][t + 2], acc[r][t + 3], dw + r * ldw + t);
#endif
    for (; t < taps; ++t) dw[r * ldw + t] += hn::GetLane(hn::SumOfLanes(d, acc[r][t]));
  }
}

// Vector multiply-adds (plus a load per tile row and column) that kR x kT tiles spend on
// an out_channels x taps weight gradient, rounding both up to whole tiles.
template <size_t kR, size_t kT>
int64_t GradTileCost(int64_t out_channels, int64_t taps) {
  const int64_t tiles =
      (out_channels + int64_t(kR) - 1) / int64_t(kR) * ((taps + int64_t(kT) - 1) / int64_t(kT));
  return tiles * int64_t(kR * kT + kR + kT);
}

template <size_t kR, size_t kT>
void WideConvWeightGradTiles(const WideImages& images, const std::vector<int64_t>& offsets,
                             int64_t out_channels, int64_t positions, float* dw) {
  const int64_t taps = int64_t(offsets.size());
  const int64_t tap_tiles = (taps + int64_t(kT) - 1) / int64_t(kT);
  const int64_t row_tiles = (out_channels + int64_t(kR) - 1) / int64_t(kR);
  const auto tile = [&](int64_t t) HWY_ATTR {
    const int64_t co = t / tap_tiles * int64_t(kR), k = t % tap_tiles * int64_t(kT);
    WideGradTile<kR, kT>(images, offsets.data() + k, size_t(std::min<int64_t>(kT, taps - k)),
                         images.dy + co * images.ldd,
                         size_t(std::min<int64_t>(kR, out_channels - co)), positions,
                         dw + co * taps + k, taps);
  };
  ForEachTile(row_tiles * tap_tiles, out_channels * taps * positions * images.count, tile);
}

// Tiles of kGradRows x kGradTaps, or 5 x 5 where that wastes less on partial tiles (LeNet:
// 25 taps and 20 channels, or 500 and 50; measured conv1 dW +17%).
void WideConvWeightGradImpl(const WideImages& images, const WideConv& g, int64_t out_channels,
                            float* dw) {
  const std::vector<int64_t>& offsets = TapOffsets(g);
  const int64_t positions = g.padded_positions();
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if (GradTileCost<5, 5>(out_channels, g.taps()) <
      GradTileCost<kGradRows, kGradTaps>(out_channels, g.taps()))
    return WideConvWeightGradTiles<5, 5>(images, offsets, out_channels, positions, dw);
#endif
  WideConvWeightGradTiles<kGradRows, kGradTaps>(images, offsets, out_channels, positions, dw);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(Im2colImpl);
HWY_EXPORT(Col2imImpl);
HWY_EXPORT(ShiftedInputImpl);
HWY_EXPORT(WideConvImpl);
HWY_EXPORT(WideConvWeightGradImpl);

void im2col(const float* image, int64_t channels, const Window2d& w, float* columns) {
  HWY_DYNAMIC_DISPATCH(Im2colImpl)(image, channels, w, columns);
}
void col2im(const float* columns, int64_t channels, const Window2d& w, float* image, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(Col2imImpl)(columns, ld > 0 ? ld : w.out_plane(), channels, w, image);
}

void wide_conv(const float* input, const WideConv& g, const float* weight, const float* bias,
               int64_t out_channels, float* out, int64_t ldo, bool accumulate) {
  HWY_DYNAMIC_DISPATCH(WideConvImpl)(input, g, weight, bias, out_channels, out, ldo, accumulate);
}
void wide_conv_weight_grad(const WideImages& images, const WideConv& g, int64_t out_channels,
                           float* dw) {
  HWY_DYNAMIC_DISPATCH(WideConvWeightGradImpl)(images, g, out_channels, dw);
}

namespace {

// Each plane_stride-float plane of out = zeros holding x's h x w plane at row `top`,
// column `left` (rows of row_stride floats); every float of out is written once.
void embed_planes(const float* x, int64_t planes, int64_t h, int64_t w, int64_t top, int64_t left,
                  int64_t row_stride, int64_t plane_stride, float* out) {
  for (int64_t p = 0; p < planes; ++p) {
    float* plane = out + p * plane_stride;
    float* unwritten = plane;
    for (int64_t y = 0; y < h; ++y) {
      float* row = plane + (top + y) * row_stride + left;
      std::fill(unwritten, row, 0.0f);
      std::memcpy(row, x + (p * h + y) * w, size_t(w) * sizeof(float));
      unwritten = row + w;
    }
    std::fill(unwritten, plane + plane_stride, 0.0f);
  }
}

}  // namespace

void wide_input(const float* x, const WideConv& g, int64_t pad_h, int64_t pad_w, float* input) {
  embed_planes(x, g.channels, g.height - 2 * pad_h, g.width - 2 * pad_w, pad_h, pad_w, g.width,
               g.plane(), input);
  std::fill(input + g.channels * g.plane(), input + g.input_size(), 0.0f);
}

void shifted_input(const float* x, const WideConv& g, int64_t padding, float* input) {
  HWY_DYNAMIC_DISPATCH(ShiftedInputImpl)(x, g, padding, input);
}

void widen_planes(const float* x, int64_t planes, int64_t h, int64_t w, int64_t wide_w, int64_t ldw,
                  float* wide) {
  embed_planes(x, planes, h, w, 0, 0, wide_w, ldw, wide);
}

void narrow_planes(const float* wide, int64_t planes, int64_t ldw, int64_t h, int64_t wide_w,
                   int64_t w, float* out, bool accumulate) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < h; ++y) {
      const float* src = wide + p * ldw + y * wide_w;
      float* dst = out + (p * h + y) * w;
      if (accumulate) {
        for (int64_t x = 0; x < w; ++x) dst[x] += src[x];
      } else {
        std::memcpy(dst, src, size_t(w) * sizeof(float));
      }
    }
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
