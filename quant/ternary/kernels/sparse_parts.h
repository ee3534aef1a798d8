// What the sparse ternary products (sparse.cc, sparse_int16.cc) share around their SIMD
// cores: the run offset of each non-zero code, and the split of (image, output row) work over
// the threads. Plain C++, included by the kernel files only.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "autograd/kernels/parallel.h"
#include "quant/ternary/kernels/sparse.h"

namespace trit::kernels {

// Below this many additions (non-zero codes x positions x images) one thread does it all.
inline constexpr int64_t kSparseParallelWork = int64_t{1} << 19;

// offsets[codes.columns[i]] for each non-zero code i: looked up once per call.
inline std::vector<int64_t> code_run_offsets(const SparseTernary& codes, const int64_t* offsets) {
  std::vector<int64_t> out(codes.columns.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = offsets[codes.columns[i]];
  return out;
}

// body(b, o_begin, o_end) over disjoint parts covering every output row of `batch` images:
// whole images when there are enough for the threads, else row ranges of each image; one
// thread when `work` (additions) is under kSparseParallelWork or inside a parallel region.
template <class Body>
void for_image_rows(int64_t batch, int64_t rows, int64_t work, const Body& body) {
  const int64_t threads = omp_in_parallel() || work < kSparseParallelWork ? 1 : num_threads();
  const int64_t row_parts = std::min(rows, (threads + batch - 1) / batch);
  parallel_for_chunks(batch * row_parts, std::min(threads, batch * row_parts),
                      [&](int64_t, int64_t begin, int64_t end) {
                        for (int64_t part = begin; part < end; ++part) {
                          const int64_t b = part / row_parts, r = part % row_parts;
                          body(b, rows * r / row_parts, rows * (r + 1) / row_parts);
                        }
                      });
}

}  // namespace trit::kernels
