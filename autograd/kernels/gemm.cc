// Highway implementation of gemm.h: a packed, cache-blocked GEMM (GotoBLAS / BLIS).
//
// C is split into one block of whole tiles per thread (rows x columns); blocks share
// nothing, so one parallel loop runs them without barriers. Inside a block, outermost first:
//   jc: columns in panels of kNc            (the packed B panel, kc x kNc, stays in L2)
//   pc: k in blocks of at most kKc           (balanced, fixed by k alone: the reduction order)
//       pack the B panel in slivers of nr = 2 vectors of columns, zero padded
//     ir: kMr rows of A packed into a sliver  (kMr x kc, stays in L1), prefetching the next
//       jr: nr columns of the packed panel    (streamed from L2)
//         micro-kernel: kMr x nr accumulators in registers, one broadcast of A and one
//         MulAdd per accumulator per k; alpha/beta applied when the tile is written.
// Packing reads every operand along its stored rows (transposing in 4 x 4 blocks where
// needed). A block of a single row sliver reads a non-transposed B in place instead.
// Every C element is summed over k in one order (k blocks in sequence, k in sequence
// inside a block) whatever the thread count, block split or tile position, so results
// are bit-identical for any number of threads. At most kDotRowsMax rows of A times a
// transposed B (a linear layer at batch 1-4) skip the packing: each C element is a dot
// product of two stored rows (DotRows), also one order whatever the thread count. Edge tiles run the same full-size kernel
// on zero-padded slivers and write only their valid part.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/gemm.cc"
#include "autograd/kernels/gemm.h"

#include <hwy/aligned_allocator.h>
#include <hwy/cache_control.h>
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

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

constexpr size_t kKc = 256;   // k block: a kMr x kKc sliver of A (12 KiB) stays in L1
constexpr size_t kNc = 1024;  // columns per B panel: kKc x kNc floats = 1 MiB, one L2
// Below this many multiply-adds a gemm runs on the calling thread only.
constexpr int64_t kParallelWork = int64_t{1} << 21;

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
  if (a.trans) {  // short rows: copied in 128-bit vectors (a memmove call each costs more)
    const hn::CappedTag<float, 4> d4;
    const size_t lanes = hn::Lanes(d4);
    for (size_t p = 0; p < kc; ++p) {
      const float* HWY_RESTRICT row = a.x + (p0 + p) * a.ld + i0;
      float* out = sliver + p * kMr;
      size_t r = 0;
      for (; r + lanes <= rows; r += lanes) hn::StoreU(hn::LoadU(d4, row + r), d4, out + r);
      for (; r < rows; ++r) out[r] = row[r];
      for (; r < kMr; ++r) out[r] = 0.0f;
    }
  } else {
    PackTransposed(a.x + i0 * a.ld + p0, a.ld, rows, kc, sliver, kMr);
  }
}

// Prefetches part `part` of `parts` of what PackA will read for a sliver, so the next
// sliver's rows arrive while the current one is multiplied.
void PrefetchA(const Operand& a, int64_t i0, size_t rows, int64_t p0, size_t kc, size_t part,
               size_t parts) {
  const size_t lines = a.trans ? kc : rows, length = a.trans ? rows : kc;  // as stored
  const float* first = a.trans ? a.x + p0 * a.ld + i0 : a.x + i0 * a.ld + p0;
  const size_t line_floats = 64 / sizeof(float);
  for (size_t line = lines * part / parts; line < lines * (part + 1) / parts; ++line)
    for (size_t j = 0; j < length; j += line_floats) hwy::Prefetch(first + line * a.ld + j);
}

// Packs op(B) rows [p0, p0 + kc) x columns [j0, j0 + nc) into slivers of nr columns:
// element (p, s * nr + j) goes to panel[s * kc * nr + p * nr + j]; the last sliver is zero
// padded. Both layouts are read along their stored rows (long sequential streams).
void PackPanel(const Operand& b, int64_t p0, size_t kc, int64_t j0, size_t nc,
               float* HWY_RESTRICT panel) {
  const D d;
  const size_t lanes = hn::Lanes(d), nr = 2 * lanes;
  const size_t full = nc / nr, tail = nc - full * nr;
  if (b.trans) {
    for (size_t s = 0; s * nr < nc; ++s) {
      float* HWY_RESTRICT sliver = panel + s * kc * nr;
      const size_t cols = std::min(nr, nc - s * nr);
      PackTransposed(b.x + (j0 + s * nr) * b.ld + p0, b.ld, cols, kc, sliver, nr);
    }
    return;
  }
  for (size_t p = 0; p < kc; ++p) {
    const float* HWY_RESTRICT row = b.x + (p0 + p) * b.ld + j0;
    float* HWY_RESTRICT out = panel + p * nr;
    for (size_t s = 0; s < full; ++s, row += nr, out += kc * nr) {
      hn::Store(hn::LoadU(d, row), d, out);
      hn::Store(hn::LoadU(d, row + lanes), d, out + lanes);
    }
    if (tail != 0) {
      std::copy(row, row + tail, out);
      std::fill(out + tail, out + nr, 0.0f);
    }
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
// Row p of the B sliver starts at b + p * b_step (nr when packed, ldb when read in place).
void MicroKernel(size_t kc, const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t b_step,
                 float alpha, float beta, float* HWY_RESTRICT c, int64_t ldc, size_t rows,
                 size_t cols) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {  // the C tile is read or written at the end
    hwy::Prefetch(c + r * ldc);
    hwy::Prefetch(c + r * ldc + cols - 1);
  }
  V acc0[kMr], acc1[kMr];
  MultiplySlivers(kc, a, SteppedRows{b, b_step}, acc0, acc1);
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

// The whole Goto loop nest for one block, with the task's own packed B panel and A sliver.
// A block of one row sliver uses each element of B once: a non-transposed B is then read
// in place, and only a partial last sliver of columns is packed (zero padded).
void ComputeBlock(const Problem& pr, int64_t kc_max, const Block& block) {
  const size_t nr = Nr();
  float* panel = ThreadScratch(0, kc_max * (kNc / nr + 1) * nr);
  float* a_sliver = ThreadScratch(1, kMr * kc_max);
  const bool b_in_place = !pr.b.trans && block.i_end - block.i_begin <= int64_t{kMr};
  for (int64_t j0 = block.j_begin; j0 < block.j_end; j0 += kNc) {
    const int64_t nc = std::min<int64_t>(kNc, block.j_end - j0);
    const size_t col_tiles = (nc + nr - 1) / nr, full_tiles = nc / nr;
    for (int64_t p0 = 0; p0 < pr.k; p0 += kc_max) {
      const size_t kc = std::min(kc_max, pr.k - p0);
      const size_t packed_from = b_in_place ? full_tiles : 0;  // first packed tile
      PackPanel(pr.b, p0, kc, j0 + packed_from * nr, nc - packed_from * nr, panel);
      const float beta = p0 == 0 ? pr.beta : 1.0f;  // later k blocks accumulate
      for (int64_t i0 = block.i_begin; i0 < block.i_end; i0 += kMr) {
        const size_t rows = std::min<int64_t>(kMr, block.i_end - i0);
        PackA(pr.a, i0, rows, p0, kc, a_sliver);
        const int64_t next = i0 + kMr;
        const size_t next_rows = std::max<int64_t>(0, std::min<int64_t>(kMr, block.i_end - next));
        for (size_t t = 0; t < col_tiles; ++t) {
          if (next_rows != 0) PrefetchA(pr.a, next, next_rows, p0, kc, t, col_tiles);
          const size_t j = t * nr;
          const bool in_place = t < packed_from;
          const float* b =
              in_place ? pr.b.x + p0 * pr.b.ld + j0 + j : panel + (t - packed_from) * kc * nr;
          MicroKernel(kc, a_sliver, b, in_place ? pr.b.ld : nr, pr.alpha, beta,
                      pr.c + i0 * pr.ldc + j0 + j, pr.ldc, rows, std::min<size_t>(nr, nc - j));
        }
      }
    }
  }
}

// A linear layer's forward at batch 1-4 (y = x W^T): op(A) is a few stored rows, op(B) = B^T
// with B's rows stored. Packing would copy all of B to use each element m times; instead
// each C element is the dot product of two stored rows, read in place. For a given k the
// sum runs in one order (four vector accumulators, k in sequence, then the tail).
constexpr int64_t kDotRowsMax = 4;

float DotRow(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w, int64_t k) {
  const D d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  V sum0 = hn::Zero(d), sum1 = hn::Zero(d), sum2 = hn::Zero(d), sum3 = hn::Zero(d);
  int64_t p = 0;
  for (; p + 4 * lanes <= k; p += 4 * lanes) {
    sum0 = hn::MulAdd(hn::LoadU(d, x + p), hn::LoadU(d, w + p), sum0);
    sum1 = hn::MulAdd(hn::LoadU(d, x + p + lanes), hn::LoadU(d, w + p + lanes), sum1);
    sum2 = hn::MulAdd(hn::LoadU(d, x + p + 2 * lanes), hn::LoadU(d, w + p + 2 * lanes), sum2);
    sum3 = hn::MulAdd(hn::LoadU(d, x + p + 3 * lanes), hn::LoadU(d, w + p + 3 * lanes), sum3);
  }
  for (; p + lanes <= k; p += lanes)
    sum0 = hn::MulAdd(hn::LoadU(d, x + p), hn::LoadU(d, w + p), sum0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(sum0, sum1), hn::Add(sum2, sum3))));
  for (; p < k; ++p) sum += x[p] * w[p];
  return sum;
}

void DotRows(const Problem& pr) {
  const auto columns = [&](int64_t begin, int64_t end) {
    for (int64_t i = 0; i < pr.m; ++i) {
      float* c = pr.c + i * pr.ldc;
      const float* x = pr.a.x + i * pr.a.ld;
      for (int64_t j = begin; j < end; ++j) {
        const float ab = pr.alpha * DotRow(x, pr.b.x + j * pr.b.ld, pr.k);
        c[j] = pr.beta == 0.0f ? ab : ab + pr.beta * c[j];
      }
    }
  };
  const int64_t threads = omp_in_parallel() ? 1 : num_threads();
  const int64_t chunks = worthwhile_chunks(pr.n, pr.m * pr.n * pr.k, kParallelWork, threads);
  parallel_for_chunks(pr.n, chunks, [&](int64_t, int64_t begin, int64_t end) {
    columns(begin, end);
  });
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
  if (m <= kDotRowsMax && !trans_a && trans_b) return DotRows(pr);
  const int64_t k_blocks = (k + kKc - 1) / kKc;
  const int64_t kc_max = (k + k_blocks - 1) / k_blocks;  // balanced k blocks, fixed by k
  // Inside another op's parallel loop the nested loop would run serially: use one block.
  const int64_t threads = omp_in_parallel() ? 1 : num_threads();
  if (m * n * k < kParallelWork || threads == 1) return ComputeBlock(pr, kc_max, {0, m, 0, n});
  const std::vector<Block> blocks = SplitC(m, n, threads);
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
