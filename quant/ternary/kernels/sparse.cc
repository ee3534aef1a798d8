// Highway implementation of sparse.h.
//
// Taps: for each image and output row, the n positions are walked in blocks of kVecs vectors
// held in registers: every +1 code adds the block of its input run, then every -1 code
// subtracts it, then y = level * (sum) + bias. The runs' offsets are looked up once per call,
// one per non-zero code. Blocks are the outer loop and rows the inner one, so the input runs
// of one block (channels x a few image rows) stay in L1 while every output row reads them.
// Threads own disjoint (image, row range) parts.
// Linear: each output sums the inputs its +1 codes index, then those of its -1 codes, in
// four scalar partial sums; threads own disjoint ranges of outputs.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/ternary/kernels/sparse.cc"
#include "quant/ternary/kernels/sparse.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "quant/ternary/kernels/sparse_parts.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace {

using D = hn::ScalableTag<float>;

constexpr size_t kVecs = 8;  // vectors per block of positions: 8 independent add chains

struct Problem {
  const TapRuns& runs;
  int64_t n;
  const SparseTernary& codes;
  const int64_t* run_offsets;  // per non-zero code: the offset of its column's run
  float level;
  const float* bias;
  float* y;
};

// acc[0, kCount) +-= the runs at input + [begin, end) + j (+ when kAdd).
template <size_t kCount, bool kAdd, class DT, class VT = hn::Vec<DT>>
HWY_INLINE void Accumulate(DT d, const float* input, const int64_t* begin, const int64_t* end,
                           int64_t j, VT* acc) {
  const size_t lanes = hn::Lanes(d);
  for (const int64_t* p = begin; p < end; ++p) {
    const float* run = input + *p + j;
    HWY_UNROLL(kVecs)
    for (size_t v = 0; v < kCount; ++v) {
      const VT x = hn::LoadU(d, run + v * lanes);
      acc[v] = kAdd ? hn::Add(acc[v], x) : hn::Sub(acc[v], x);
    }
  }
}

// y_row[j, j + kCount * Lanes(d)) for output row o: the +1 runs added, then the -1 runs
// subtracted, then level and bias. The tail of a row runs it with one-lane vectors: every
// position sums its terms in the same order.
template <size_t kCount, class DT, class VT = hn::Vec<DT>>
HWY_INLINE void RowBlock(DT d, const Problem& pr, const float* input, int64_t o, int64_t j,
                         float* y_row) {
  const size_t lanes = hn::Lanes(d);
  VT acc[kCount];
  for (size_t v = 0; v < kCount; ++v) acc[v] = hn::Zero(d);
  const SparseTernary& c = pr.codes;
  const int64_t* plus = pr.run_offsets + c.starts[size_t(o)];
  const int64_t* minus = pr.run_offsets + c.minus[size_t(o)];
  const int64_t* end = pr.run_offsets + c.starts[size_t(o) + 1];
  Accumulate<kCount, true>(d, input, plus, minus, j, acc);
  Accumulate<kCount, false>(d, input, minus, end, j, acc);
  const VT level = hn::Set(d, pr.level), bias = hn::Set(d, pr.bias ? pr.bias[o] : 0.0f);
  for (size_t v = 0; v < kCount; ++v)
    hn::StoreU(hn::MulAdd(level, acc[v], bias), d, y_row + j + v * lanes);
}

// Rows [o_begin, o_end) x positions [j, j + kCount vectors) of one image.
template <size_t kCount>
void Rows(const Problem& pr, const float* input, float* y, int64_t o_begin, int64_t o_end,
          int64_t j) {
  for (int64_t o = o_begin; o < o_end; ++o) RowBlock<kCount>(D(), pr, input, o, j, y + o * pr.n);
}

// Rows [o_begin, o_end) of image b: blocks of kVecs vectors, then one block of the whole
// vectors left, then the last positions one lane at a time.
void ImageRows(const Problem& pr, int64_t b, int64_t o_begin, int64_t o_end) {
  const hn::CappedTag<float, 1> d1;
  const int64_t lanes = int64_t(hn::Lanes(D()));
  const float* input = pr.runs.input + b * pr.runs.image_stride;
  float* y = pr.y + b * pr.codes.rows * pr.n;
  int64_t j = 0;
  for (; j + int64_t(kVecs) * lanes <= pr.n; j += int64_t(kVecs) * lanes)
    Rows<kVecs>(pr, input, y, o_begin, o_end, j);
  using RowsFunction = void (*)(const Problem&, const float*, float*, int64_t, int64_t, int64_t);
  static constexpr RowsFunction kPartial[kVecs] = {nullptr,  &Rows<1>, &Rows<2>, &Rows<3>,
                                                   &Rows<4>, &Rows<5>, &Rows<6>, &Rows<7>};
  const int64_t vectors = (pr.n - j) / lanes;
  if (vectors > 0) {
    kPartial[vectors](pr, input, y, o_begin, o_end, j);
    j += vectors * lanes;
  }
  for (; j < pr.n; ++j)
    for (int64_t o = o_begin; o < o_end; ++o) RowBlock<1>(d1, pr, input, o, j, y + o * pr.n);
}

// The sum of x[columns[i]] for i in [begin, end), in four interleaved partial sums (scalar
// loads: the inputs are scattered, and a gather instruction costs more than its lanes'
// loads on the x86 cores measured).
HWY_INLINE float IndexedSum(const float* x, const int32_t* begin, const int32_t* end) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  const int32_t* p = begin;
  for (; end - p >= 4; p += 4) {  // not p + 4 <= end: begin may be null (no codes)
    s0 += x[p[0]];
    s1 += x[p[1]];
    s2 += x[p[2]];
    s3 += x[p[3]];
  }
  for (; p < end; ++p) s0 += x[*p];
  return (s0 + s1) + (s2 + s3);
}

// y[i, o] for units [o_begin, o_end) of row i.
void LinearUnits(const float* x, const SparseTernary& c, float level, const float* bias,
                 float* y, int64_t o_begin, int64_t o_end) {
  const int32_t* columns = c.columns.data();
  for (int64_t o = o_begin; o < o_end; ++o) {
    const int32_t* plus_begin = columns + c.starts[size_t(o)];
    const int32_t* minus_begin = columns + c.minus[size_t(o)];
    const float plus = IndexedSum(x, plus_begin, minus_begin);
    const float minus = IndexedSum(x, minus_begin, columns + c.starts[size_t(o) + 1]);
    y[o] = level * (plus - minus) + (bias ? bias[o] : 0.0f);
  }
}

}  // namespace

void SparseLinearImpl(const float* x, int64_t n, const SparseTernary& codes, float level,
                      const float* bias, float* y) {
  const int64_t rows = codes.rows;
  if (n <= 0 || rows <= 0) return;
  const int64_t work = n * std::max<int64_t>(codes.nonzero(), rows);
  const int64_t threads = omp_in_parallel() || work < kSparseParallelWork ? 1 : num_threads();
  for (int64_t i = 0; i < n; ++i)
    parallel_for_chunks(rows, threads, [&](int64_t, int64_t begin, int64_t end) {
      LinearUnits(x + i * codes.cols, codes, level, bias, y + i * rows, begin, end);
    });
}

void SparseTapsImpl(const TapRuns& runs, int64_t n, const SparseTernary& codes, float level,
                    const float* bias, float* y) {
  const int64_t rows = codes.rows, batch = runs.batch;
  if (batch <= 0 || n <= 0 || rows <= 0) return;
  const std::vector<int64_t> run_offsets = code_run_offsets(codes, runs.offsets);
  const Problem pr{runs, n, codes, run_offsets.data(), level, bias, y};
  const int64_t work = batch * n * std::max<int64_t>(codes.nonzero(), rows);
  for_image_rows(batch, rows, work, [&](int64_t b, int64_t o_begin, int64_t o_end) {
    ImageRows(pr, b, o_begin, o_end);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(SparseLinearImpl);
HWY_EXPORT(SparseTapsImpl);

SparseTernary sparse_ternary(const uint8_t* packed, int64_t rows, int64_t cols,
                             int64_t bytes_per_row) {
  SparseTernary index;
  index.rows = rows;
  index.cols = cols;
  index.starts.reserve(size_t(rows) + 1);
  index.minus.reserve(size_t(rows));
  std::vector<int32_t> minus_columns;
  for (int64_t o = 0; o < rows; ++o) {
    index.starts.push_back(index.nonzero());
    const uint8_t* row = packed + o * bytes_per_row;
    minus_columns.clear();
    for (int64_t p = 0; p < cols; ++p) {
      const int field = (row[p / 4] >> (2 * (p % 4))) & 3;
      if (field == 1) index.columns.push_back(int32_t(p));
      if (field == 3) minus_columns.push_back(int32_t(p));
    }
    index.minus.push_back(index.nonzero());
    index.columns.insert(index.columns.end(), minus_columns.begin(), minus_columns.end());
  }
  index.starts.push_back(index.nonzero());
  return index;
}

void sparse_ternary_linear(const float* x, int64_t n, const SparseTernary& codes, float level,
                           const float* bias, float* y) {
  HWY_DYNAMIC_DISPATCH(SparseLinearImpl)(x, n, codes, level, bias, y);
}

void sparse_ternary_taps(const TapRuns& runs, int64_t n, const SparseTernary& codes, float level,
                         const float* bias, float* y) {
  HWY_DYNAMIC_DISPATCH(SparseTapsImpl)(runs, n, codes, level, bias, y);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
