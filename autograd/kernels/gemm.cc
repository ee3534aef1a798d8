// Highway implementation of gemm.h: a packed, cache-blocked GEMM (GotoBLAS / BLIS).
//
// C is split into one block of whole tiles per thread (rows x columns); blocks share
// nothing, so one parallel loop runs them without barriers. Inside a block, outermost first:
//   jc: columns in panels of kNc           (the packed B panel, kc x kNc, stays in L2)
//   pc: k in blocks of at most kKc          (balanced, fixed by k alone: the reduction order)
//       pack the B panel: slivers of kNr columns, zero padded
//     ir: kMr rows of A packed into a sliver (kMr x kc, stays in L1)
//       jr: kNr columns of the packed panel (streamed from L2)
//         micro-kernel: kMr x kNr accumulators in registers, one broadcast of A and one
//         MulAdd per accumulator per k; alpha/beta applied when the tile is written.
// Every C element is summed over k in one order (k blocks in sequence, k in sequence
// inside a block) whatever the thread count, block split or tile position, so results
// are bit-identical for any number of threads. Edge tiles run the same full-size kernel
// on zero-padded slivers and write only their valid part.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/gemm.cc"
#include "autograd/kernels/gemm.h"

#include <hwy/aligned_allocator.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "autograd/kernels/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// Micro-tile rows: kMr x 2 accumulators, 2 B vectors and one broadcast must fit the
// register file (32 vector registers with AVX-512, 16 on the narrower x86 targets).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kMr = 12;
#else
constexpr size_t kMr = 6;
#endif
constexpr size_t kKc = 256;  // k block: a kMr x kKc sliver of A fills about a third of L1
constexpr size_t kNc = 512;  // columns per B panel: kKc x kNc floats = 512 KiB, half of L2
// Below this many multiply-adds a gemm runs on the calling thread only.
constexpr int64_t kParallelWork = int64_t{1} << 21;

size_t Nr() { return 2 * hn::Lanes(D()); }  // micro-tile columns: two vectors

// A grow-only, 64-byte aligned buffer owned by the calling thread.
float* ThreadScratch(size_t slot, size_t floats) {
  thread_local hwy::AlignedFreeUniquePtr<float[]> buffers[2];
  thread_local size_t sizes[2] = {0, 0};
  if (sizes[slot] < floats) {
    buffers[slot] = hwy::AllocateAligned<float>(floats);
    sizes[slot] = floats;
  }
  return buffers[slot].get();
}

// One operand as stored: element (row, col) of op(X) is x[row * ld + col], or
// x[col * ld + row] when transposed.
struct Operand {
  const float* x;
  int64_t ld;
  bool trans;
};

// sliver[p * kMr + r] = op(A)(i0 + r, p0 + p) for r < rows, zero for rows <= r < kMr.
void PackA(const Operand& a, int64_t i0, size_t rows, int64_t p0, size_t kc,
           float* HWY_RESTRICT sliver) {
  if (rows < kMr) std::fill(sliver, sliver + kc * kMr, 0.0f);
  if (a.trans) {
    for (size_t p = 0; p < kc; ++p)
      std::memcpy(sliver + p * kMr, a.x + (p0 + p) * a.ld + i0, rows * sizeof(float));
  } else {
    for (size_t r = 0; r < rows; ++r) {
      const float* HWY_RESTRICT row = a.x + (i0 + r) * a.ld + p0;
      for (size_t p = 0; p < kc; ++p) sliver[p * kMr + r] = row[p];
    }
  }
}

// sliver[p * nr + j] = op(B)(p0 + p, j0 + j) for j < cols, zero for cols <= j < nr.
void PackB(const Operand& b, int64_t p0, size_t kc, int64_t j0, size_t cols, size_t nr,
           float* HWY_RESTRICT sliver) {
  if (cols < nr) std::fill(sliver, sliver + kc * nr, 0.0f);
  if (b.trans) {
    for (size_t j = 0; j < cols; ++j) {
      const float* HWY_RESTRICT col = b.x + (j0 + j) * b.ld + p0;
      for (size_t p = 0; p < kc; ++p) sliver[p * nr + j] = col[p];
    }
  } else {
    for (size_t p = 0; p < kc; ++p)
      std::memcpy(sliver + p * nr, b.x + (p0 + p) * b.ld + j0, cols * sizeof(float));
  }
}

// c[j] = alpha * ab[j] + beta * c[j] for j < cols (c is not read when beta == 0).
template <class DU>
HWY_INLINE void WriteRow(DU du, hn::Vec<DU> alpha, float beta, const float* ab, float* c,
                         size_t cols) {
  for (size_t j = 0; j < cols; j += hn::Lanes(du)) {
    const auto scaled = hn::Mul(alpha, hn::LoadU(du, ab + j));
    hn::StoreU(beta == 0.0f ? scaled : hn::MulAdd(hn::Set(du, beta), hn::LoadU(du, c + j), scaled),
               du, c + j);
  }
}

// The kMr x nr tile at c (rows x cols of it valid) = alpha * A_sliver B_sliver + beta * c.
void MicroKernel(size_t kc, const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, float alpha,
                 float beta, float* HWY_RESTRICT c, int64_t ldc, size_t rows, size_t cols) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  V acc0[kMr], acc1[kMr];
  HWY_UNROLL(kMr)
  for (size_t r = 0; r < kMr; ++r) acc0[r] = acc1[r] = hn::Zero(d);
  for (size_t p = 0; p < kc; ++p, a += kMr, b += 2 * lanes) {
    const V b0 = hn::Load(d, b), b1 = hn::Load(d, b + lanes);
    HWY_UNROLL(kMr)
    for (size_t r = 0; r < kMr; ++r) {
      const V ar = hn::Set(d, a[r]);
      acc0[r] = hn::MulAdd(ar, b0, acc0[r]);
      acc1[r] = hn::MulAdd(ar, b1, acc1[r]);
    }
  }
  const V valpha = hn::Set(d, alpha);
  const hn::CappedTag<float, 1> d1;
  HWY_ALIGN float row[2 * HWY_MAX_BYTES / sizeof(float)];
  HWY_UNROLL(kMr)
  for (size_t r = 0; r < kMr; ++r) {
    if (r >= rows) break;
    hn::Store(acc0[r], d, row);
    hn::Store(acc1[r], d, row + lanes);
    float* c_row = c + r * ldc;
    if (cols == 2 * lanes) {
      WriteRow(d, valpha, beta, row, c_row, cols);
    } else {
      WriteRow(d1, hn::Set(d1, alpha), beta, row, c_row, cols);
    }
  }
}

// One gemm call, as the tasks see it.
struct Problem {
  Operand a, b;
  int64_t m, n, k;
  float alpha, beta;
  float* c;
  int64_t ldc;
};

// A task: C rows [i_begin, i_end) x columns [j_begin, j_end), all of k. Tasks share
// nothing, so one parallel loop over them needs no barrier.
struct Block {
  int64_t i_begin, i_end, j_begin, j_end;
};

// The whole Goto loop nest for one block, with the task's own packed B panel and A sliver.
void ComputeBlock(const Problem& pr, int64_t kc_max, const Block& block) {
  const size_t nr = Nr();
  float* panel = ThreadScratch(0, kc_max * (kNc / nr + 1) * nr);
  float* a_sliver = ThreadScratch(1, kMr * kc_max);
  for (int64_t j0 = block.j_begin; j0 < block.j_end; j0 += kNc) {
    const int64_t nc = std::min<int64_t>(kNc, block.j_end - j0);
    for (int64_t p0 = 0; p0 < pr.k; p0 += kc_max) {
      const size_t kc = std::min(kc_max, pr.k - p0);
      for (int64_t j = 0; j < nc; j += nr)
        PackB(pr.b, p0, kc, j0 + j, std::min<int64_t>(nr, nc - j), nr, panel + j * kc);
      const float beta = p0 == 0 ? pr.beta : 1.0f;  // later k blocks accumulate
      for (int64_t i0 = block.i_begin; i0 < block.i_end; i0 += kMr) {
        const size_t rows = std::min<int64_t>(kMr, block.i_end - i0);
        PackA(pr.a, i0, rows, p0, kc, a_sliver);
        for (int64_t j = 0; j < nc; j += nr)
          MicroKernel(kc, a_sliver, panel + j * kc, pr.alpha, beta, pr.c + i0 * pr.ldc + j0 + j,
                      pr.ldc, rows, std::min<int64_t>(nr, nc - j));
      }
    }
  }
}

// Splits C into `threads` blocks of whole tiles, rows x columns, choosing the grid whose
// largest block has the fewest tiles (rows first on ties: they re-pack the smaller B).
std::vector<Block> SplitC(int64_t m, int64_t n, int64_t threads) {
  const int64_t mr = kMr, nr = Nr();
  const int64_t row_tiles = (m + mr - 1) / mr, col_tiles = (n + nr - 1) / nr;
  const auto ceil_div = [](int64_t x, int64_t y) { return (x + y - 1) / y; };
  int64_t best_rows = 1, best_cost = -1;
  for (int64_t rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0 || rows > row_tiles || threads / rows > col_tiles) continue;
    const int64_t cost = ceil_div(row_tiles, rows) * ceil_div(col_tiles, threads / rows);
    if (best_cost < 0 || cost <= best_cost) best_rows = rows, best_cost = cost;
  }
  const int64_t cols = best_cost < 0 ? 1 : threads / best_rows;
  if (best_cost < 0) best_rows = 1;
  std::vector<Block> blocks;
  for (int64_t r = 0; r < best_rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      blocks.push_back({std::min(m, row_tiles * r / best_rows * mr),
                        std::min(m, row_tiles * (r + 1) / best_rows * mr),
                        std::min(n, col_tiles * c / cols * nr),
                        std::min(n, col_tiles * (c + 1) / cols * nr)});
  return blocks;
}

// C = beta * C, with beta == 0 writing zeros (the whole result when k == 0 or alpha == 0).
void ScaleC(const Problem& pr) {
  for (int64_t i = 0; i < pr.m; ++i) {
    float* row = pr.c + i * pr.ldc;
    for (int64_t j = 0; j < pr.n; ++j) row[j] = pr.beta == 0.0f ? 0.0f : pr.beta * row[j];
  }
}

void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc) {
  const Problem pr{{a, lda, trans_a}, {b, ldb, trans_b}, m, n, k, alpha, beta, c, ldc};
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return ScaleC(pr);
  const int64_t k_blocks = (k + kKc - 1) / kKc;
  const int64_t kc_max = (k + k_blocks - 1) / k_blocks;  // balanced k blocks, fixed by k
  if (m * n * k < kParallelWork || num_threads() == 1)
    return ComputeBlock(pr, kc_max, {0, m, 0, n});
  const std::vector<Block> blocks = SplitC(m, n, num_threads());
  parallel_for(int64_t(blocks.size()),
               [&](int64_t t) { ComputeBlock(pr, kc_max, blocks[size_t(t)]); });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(GemmImpl);

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  HWY_DYNAMIC_DISPATCH(GemmImpl)(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += double(av) * bv;
      }
      float& out = c[i * ldc + j];
      out = float(alpha * acc) + (beta == 0.0f ? 0.0f : beta * out);
    }
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
