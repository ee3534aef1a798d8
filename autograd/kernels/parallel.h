// Threading for kernels: one OpenMP parallel loop helper and the thread-count setting.
//
// Contract: parallel_for(n, body) calls body(i) exactly once for every i in [0, n),
// split in fixed contiguous chunks over the threads (static schedule). Bodies must write
// disjoint outputs; then results never depend on the thread count. Nested calls run
// serially inside an outer parallel region.
#pragma once

#include <cstdint>

namespace trit::kernels {

// Threads used by parallel_for (default: all cores, or OMP_NUM_THREADS).
int num_threads();
void set_num_threads(int threads);

template <class Body>
void parallel_for(int64_t n, const Body& body) {
#pragma omp parallel for schedule(static) if (n > 1)
  for (int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace trit::kernels
