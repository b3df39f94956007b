// Storage aligned to cache lines (64 bytes).
//
// Kernels split matrices between threads by columns (BatchNorm: a thread owns whole features). With malloc's
// 16-byte alignment, the cache line at each thread's boundary is shared by both threads in every row, and the
// line bounces between cores on every write: on 128 × 256 activations that false sharing made the BatchNorm
// forward pass twice as slow on two threads as on one. With aligned rows the boundaries fall between lines.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <vector>

namespace bnrun {

constexpr std::size_t cache_line_bytes = 64;

// Large blocks (a data set's table, its split copies) are aligned to 2 MB and asked for as transparent huge pages.
// Touching a fresh page costs a fault, and on some virtual machines a fault costs far more than on bare metal: on
// one measured (a paravirtualized guest), writing 188 MB for the first time took 480-500 ms in 4 KB pages and
// 17-300 ms in 2 MB pages, which was most of the time spent reading Fashion-MNIST's CSV. Where the kernel does not
// give huge pages (THP "never"), the advice is ignored and only the alignment remains.
constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;
constexpr std::size_t huge_page_threshold_bytes = std::size_t{16} << 20;

inline std::size_t alignment_for(std::size_t bytes) {
  return bytes >= huge_page_threshold_bytes ? huge_page_bytes : cache_line_bytes;
}

template <class T>
struct AlignedAllocator {
  using value_type = T;

  AlignedAllocator() = default;
  template <class U>
  explicit AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    void* block = ::operator new(bytes, std::align_val_t{alignment_for(bytes)});
#if defined(MADV_HUGEPAGE)
    if (bytes >= huge_page_threshold_bytes) ::madvise(block, bytes & ~(huge_page_bytes - 1), MADV_HUGEPAGE);
#endif
    return static_cast<T*>(block);
  }
  void deallocate(T* pointer, std::size_t count) noexcept {
    ::operator delete(pointer, std::align_val_t{alignment_for(count * sizeof(T))});
  }

  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace bnrun
