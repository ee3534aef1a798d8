#include "autograd/storage.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace trit {
namespace {

// Training allocates and frees the same large activations every step. By default glibc
// serves each from a fresh mmap (unmapped again at free) or trims the heap top after the
// frees, so every step page-faults its memory back in (16% of a DenseNet-BC-40 training
// step). Keep freed blocks up to 32 MiB (the largest mmap threshold glibc accepts) in the
// heap and trim only above 1 GiB of free heap top. This runs at static initialisation: every
// program that makes a tensor calls new_buffer, so the linker always keeps this file.
#if defined(__GLIBC__)
[[maybe_unused]] const bool kHeapKeepsFreedBlocks = [] {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();
#endif

}  // namespace

std::shared_ptr<Buffer> new_buffer(size_t n) { return std::make_shared<Buffer>(n); }

}  // namespace trit
