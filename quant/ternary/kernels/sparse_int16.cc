// Highway implementation of sparse_int16.h.
//
// The walk is sparse.cc's: for each image and output row, positions in blocks of kVecs
// vectors held in registers, rows the inner loop so one block's input runs stay in L1. The
// lanes are int16: 16 positions per AVX2 vector where floats have 8. Every kInt16Terms terms
// (and at the row's end) the 16-bit sums are widened into 32-bit totals, two per vector.
// Built with -ffp-contract=off (quant/meson.build): the final scale and bias round alike on
// every target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/ternary/kernels/sparse_int16.cc"
#include "quant/ternary/kernels/sparse_int16.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/ternary/kernels/sparse_parts.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace {

using D16 = hn::ScalableTag<int16_t>;
using D32 = hn::Repartition<int32_t, D16>;  // half the lanes: one int16 vector, two of these
using DF = hn::Repartition<float, D16>;
using V16 = hn::Vec<D16>;
using V32 = hn::Vec<D32>;

constexpr size_t kVecs = 8;  // int16 vectors per block of positions

struct Problem {
  const TapRunsInt16& runs;
  int64_t n;
  const SparseTernary& codes;
  const int64_t* run_offsets;  // per non-zero code: the offset of its column's run
  float scale;                 // level x activation scale
  const float* bias;
  float* y;
};

#if HWY_TARGET != HWY_SCALAR  // one-lane vectors have no halves: that target sums per position
// acc[0, kCount) +-= the runs at input + [begin, end) + j (+ when kAdd).
template <size_t kCount, bool kAdd>
HWY_INLINE void Accumulate(const int16_t* input, const int64_t* begin, const int64_t* end,
                           int64_t j, V16* acc) {
  const D16 d;
  const size_t lanes = hn::Lanes(d);
  for (const int64_t* p = begin; p < end; ++p) {
    const int16_t* run = input + *p + j;
    HWY_UNROLL(kVecs)
    for (size_t v = 0; v < kCount; ++v) {
      const V16 x = hn::LoadU(d, run + v * lanes);
      acc[v] = kAdd ? hn::Add(acc[v], x) : hn::Sub(acc[v], x);
    }
  }
}

// total[2 v], total[2 v + 1] += the lower and upper halves of acc[v]; acc = 0.
template <size_t kCount>
HWY_INLINE void Widen(V16* acc, V32* total) {
  const D16 d;
  const D32 d32;
  const hn::Half<D16> half;
  for (size_t v = 0; v < kCount; ++v) {
    total[2 * v] = hn::Add(total[2 * v], hn::PromoteTo(d32, hn::LowerHalf(half, acc[v])));
    total[2 * v + 1] = hn::Add(total[2 * v + 1], hn::PromoteTo(d32, hn::UpperHalf(half, acc[v])));
    acc[v] = hn::Zero(d);
  }
}

// Terms [begin, end) into acc, widening into total every kInt16Terms terms.
template <size_t kCount, bool kAdd>
HWY_INLINE void AccumulateChunked(const int16_t* input, const int64_t* begin, const int64_t* end,
                                  int64_t j, V16* acc, V32* total) {
  while (end - begin > kInt16Terms) {
    Accumulate<kCount, kAdd>(input, begin, begin + kInt16Terms, j, acc);
    Widen<kCount>(acc, total);
    begin += kInt16Terms;
  }
  Accumulate<kCount, kAdd>(input, begin, end, j, acc);
  Widen<kCount>(acc, total);
}

// y_row[j, j + kCount int16 vectors) for output row o.
template <size_t kCount>
HWY_INLINE void RowBlock(const Problem& pr, const int16_t* input, int64_t o, int64_t j,
                         float* y_row) {
  const D16 d;
  const D32 d32;
  const DF df;
  V16 acc[kCount];
  V32 total[2 * kCount];
  for (size_t v = 0; v < kCount; ++v) acc[v] = hn::Zero(d);
  for (size_t v = 0; v < 2 * kCount; ++v) total[v] = hn::Zero(d32);
  const SparseTernary& c = pr.codes;
  const int64_t* plus = pr.run_offsets + c.starts[size_t(o)];
  const int64_t* minus = pr.run_offsets + c.minus[size_t(o)];
  const int64_t* end = pr.run_offsets + c.starts[size_t(o) + 1];
  AccumulateChunked<kCount, true>(input, plus, minus, j, acc, total);
  AccumulateChunked<kCount, false>(input, minus, end, j, acc, total);
  const auto scale = hn::Set(df, pr.scale), bias = hn::Set(df, pr.bias ? pr.bias[o] : 0.0f);
  const size_t lanes = hn::Lanes(df);
  // Multiply, then add (no fused multiply-add, which some targets lack): every target and the
  // scalar positions round alike.
  for (size_t v = 0; v < 2 * kCount; ++v)
    hn::StoreU(hn::Add(hn::Mul(scale, hn::ConvertTo(df, total[v])), bias), df,
               y_row + j + v * lanes);
}

template <size_t kCount>
void Rows(const Problem& pr, const int16_t* input, float* y, int64_t o_begin, int64_t o_end,
          int64_t j) {
  for (int64_t o = o_begin; o < o_end; ++o) RowBlock<kCount>(pr, input, o, j, y + o * pr.n);
}
#endif  // HWY_TARGET != HWY_SCALAR

// One position j of row o in scalar code: the same exact integer sum.
HWY_INLINE void RowPosition(const Problem& pr, const int16_t* input, int64_t o, int64_t j,
                            float* y_row) {
  const SparseTernary& c = pr.codes;
  int32_t sum = 0;
  for (int64_t i = c.starts[size_t(o)]; i < c.minus[size_t(o)]; ++i)
    sum += input[pr.run_offsets[i] + j];
  for (int64_t i = c.minus[size_t(o)]; i < c.starts[size_t(o) + 1]; ++i)
    sum -= input[pr.run_offsets[i] + j];
  const float scaled = pr.scale * static_cast<float>(sum);  // two statements: never fused
  y_row[j] = scaled + (pr.bias ? pr.bias[o] : 0.0f);
}

// Rows [o_begin, o_end) of image b: blocks of kVecs vectors, one block of the whole vectors
// left, then the last positions one at a time.
void ImageRows(const Problem& pr, int64_t b, int64_t o_begin, int64_t o_end) {
  const int16_t* input = pr.runs.input + b * pr.runs.image_stride;
  float* y = pr.y + b * pr.codes.rows * pr.n;
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  const int64_t lanes = int64_t(hn::Lanes(D16()));
  for (; j + int64_t(kVecs) * lanes <= pr.n; j += int64_t(kVecs) * lanes)
    Rows<kVecs>(pr, input, y, o_begin, o_end, j);
  using RowsFunction = void (*)(const Problem&, const int16_t*, float*, int64_t, int64_t, int64_t);
  static constexpr RowsFunction kPartial[kVecs] = {nullptr,  &Rows<1>, &Rows<2>, &Rows<3>,
                                                   &Rows<4>, &Rows<5>, &Rows<6>, &Rows<7>};
  const int64_t vectors = (pr.n - j) / lanes;
  if (vectors > 0) {
    kPartial[vectors](pr, input, y, o_begin, o_end, j);
    j += vectors * lanes;
  }
#endif
  for (; j < pr.n; ++j)
    for (int64_t o = o_begin; o < o_end; ++o) RowPosition(pr, input, o, j, y + o * pr.n);
}

}  // namespace

// q[0, n) = x[0, n) quantised with 1 / scale = `inverse`.
HWY_INLINE void QuantizeRun(const float* x, int64_t n, float inverse_scale, int16_t* q) {
  const DF df;
  const hn::Rebind<int32_t, DF> d32;
  const hn::Rebind<int16_t, DF> d16;
  const auto inverse = hn::Set(df, inverse_scale);
  const auto top = hn::Set(df, float(kActivationMax)), bottom = hn::Set(df, -float(kActivationMax));
  const int64_t lanes = int64_t(hn::Lanes(df));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    auto r = hn::Round(hn::Mul(hn::LoadU(df, x + i), inverse));
    r = hn::Min(hn::Max(hn::IfThenZeroElse(hn::IsNaN(r), r), bottom), top);
    hn::StoreU(hn::DemoteTo(d16, hn::ConvertTo(d32, r)), d16, q + i);
  }
  for (; i < n; ++i) {
    const float r = std::nearbyint(x[i] * inverse_scale);  // ties to even, as Round
    q[i] = std::isnan(r) ? 0
                         : static_cast<int16_t>(
                               std::clamp(r, -float(kActivationMax), float(kActivationMax)));
  }
}

void QuantizeImpl(const float* x, int64_t n, float scale, int16_t* q) {
  QuantizeRun(x, n, 1.0f / scale, q);
}

void QuantizePaddedImpl(const float* x, const WideConv& g, int64_t pad_h, int64_t pad_w,
                        float scale, int16_t* input) {
  const int64_t h = g.height - 2 * pad_h, w = g.width - 2 * pad_w;
  const float inverse = 1.0f / scale;
  int16_t* unwritten = input;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t y = 0; y < h; ++y) {
      int16_t* row = input + c * g.plane() + (pad_h + y) * g.width + pad_w;
      std::fill(unwritten, row, int16_t{0});
      QuantizeRun(x + (c * h + y) * w, w, inverse, row);
      unwritten = row + w;
    }
  std::fill(unwritten, input + g.input_size(), int16_t{0});
}

void SparseTapsInt16Impl(const TapRunsInt16& runs, int64_t n, const SparseTernary& codes,
                         float level_times_scale, const float* bias, float* y) {
  const int64_t rows = codes.rows, batch = runs.batch;
  if (batch <= 0 || n <= 0 || rows <= 0) return;
  const std::vector<int64_t> run_offsets = code_run_offsets(codes, runs.offsets);
  const Problem pr{runs, n, codes, run_offsets.data(), level_times_scale, bias, y};
  // Half the float path's work per addition: twice the lanes.
  const int64_t work = batch * n * std::max<int64_t>(codes.nonzero(), rows) / 2;
  for_image_rows(batch, rows, work, [&](int64_t b, int64_t o_begin, int64_t o_end) {
    ImageRows(pr, b, o_begin, o_end);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(QuantizeImpl);
HWY_EXPORT(QuantizePaddedImpl);
HWY_EXPORT(SparseTapsInt16Impl);

void quantize_activations(const float* x, int64_t n, float scale, int16_t* q) {
  HWY_DYNAMIC_DISPATCH(QuantizeImpl)(x, n, scale, q);
}

void quantize_padded(const float* x, const WideConv& g, int64_t pad_h, int64_t pad_w, float scale,
                     int16_t* input) {
  HWY_DYNAMIC_DISPATCH(QuantizePaddedImpl)(x, g, pad_h, pad_w, scale, input);
}

void sparse_ternary_taps_int16(const TapRunsInt16& runs, int64_t n, const SparseTernary& codes,
                               float level_times_scale, const float* bias, float* y) {
  HWY_DYNAMIC_DISPATCH(SparseTapsInt16Impl)(runs, n, codes, level_times_scale, bias, y);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
