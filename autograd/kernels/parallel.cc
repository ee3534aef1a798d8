#include "autograd/kernels/parallel.h"

#include <omp.h>

namespace trit::kernels {

int num_threads() { return omp_get_max_threads(); }
void set_num_threads(int threads) { omp_set_num_threads(threads < 1 ? 1 : threads); }

}  // namespace trit::kernels
