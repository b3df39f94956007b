// Storage aligned to cache lines (64 bytes).
//
// Kernels split matrices between threads by columns (BatchNorm: a thread owns whole features). With malloc's
// 16-byte alignment, the cache line at each thread's boundary is shared by both threads in every row, and the
// line bounces between cores on every write: on 128 × 256 activations that false sharing made the BatchNorm
// forward pass twice as slow on two threads as on one. With aligned rows the boundaries fall between lines.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace bnrun {

constexpr std::size_t cache_line_bytes = 64;

template <class T>
struct AlignedAllocator {
  using value_type = T;

  AlignedAllocator() = default;
  template <class U>
  explicit AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{cache_line_bytes}));
  }
  void deallocate(T* pointer, std::size_t) noexcept { ::operator delete(pointer, std::align_val_t{cache_line_bytes}); }

  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace bnrun
