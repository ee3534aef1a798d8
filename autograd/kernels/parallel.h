// Threading for kernels: one OpenMP parallel loop helper and the thread-count setting.
//
// Contract: parallel_for(n, body) calls body(i) exactly once for every i in [0, n),
// split in fixed contiguous chunks over the threads (static schedule). Bodies must write
// disjoint outputs; then results never depend on the thread count. Nested calls run
// serially inside an outer parallel region.
#pragma once

#include <algorithm>
#include <cstdint>

namespace trit::kernels {

// Threads used by parallel_for (default: all cores, or OMP_NUM_THREADS).
int num_threads();
void set_num_threads(int threads);

template <class Body>
void parallel_for(int64_t n, const Body& body) {
  if (n <= 1) {  // no parallel region: even an inactive one costs a microsecond
    if (n == 1) body(0);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace trit::kernels

namespace trit::kernels {

// How many chunks `items` items holding `work` units in all (e.g. multiply-adds) are worth:
// at least `grain` units each (a parallel region costs microseconds, far more on a busy
// machine), at most one per item and max_chunks; never less than 1.
inline int64_t worthwhile_chunks(int64_t items, int64_t work, int64_t grain, int64_t max_chunks) {
  return std::max<int64_t>(1, std::min({items, max_chunks, work / grain}));
}

// Splits [0, n) into `chunks` contiguous ranges (sizes differing by at most one, fixed by n
// and chunks alone) and calls body(chunk, begin, end) once per range, in parallel.
template <class Body>
void parallel_for_chunks(int64_t n, int64_t chunks, const Body& body) {
  parallel_for(chunks, [&](int64_t c) { body(c, n * c / chunks, n * (c + 1) / chunks); });
}

// body(i) once for every i in [0, n), items holding `work` units in all, on as many threads
// as worthwhile_chunks(n, work, grain, num_threads()) gives: small jobs stay on one thread.
template <class Body>
void parallel_for_work(int64_t n, int64_t work, int64_t grain, const Body& body) {
  parallel_for_chunks(n, worthwhile_chunks(n, work, grain, num_threads()),
                      [&](int64_t, int64_t begin, int64_t end) {
                        for (int64_t i = begin; i < end; ++i) body(i);
                      });
}

}  // namespace trit::kernels
