// Storage: the memory behind every Tensor's values and gradient.
//
// Contract
// - Buffer is a std::vector<float> whose memory is 64-byte aligned and whose `resize` leaves
//   new floats uninitialised, so Tensor::empty costs no pass over the memory.
// - new_buffer(n) makes one tensor's buffer; reshape views and detach() share it.
// - Freed buffers of up to 32 MiB stay in the process heap for the next training step
//   (storage.cc sets glibc's mmap and trim thresholds once, at start-up: page faults cost a
//   sizeable share of a DenseNet step otherwise; docs/performance.md). Other C libraries keep
//   their defaults.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace trit {

// std::vector allocator: 64-byte aligned, and construct() with no arguments
// default-initialises (leaves a float uninitialised) instead of zeroing it.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlignment); }
  template <class U>
  void construct(U* p) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const {
    return false;
  }
};

using Buffer = std::vector<float, AlignedAllocator<float>>;

// A new buffer of n uninitialised floats.
std::shared_ptr<Buffer> new_buffer(size_t n);

}  // namespace trit
