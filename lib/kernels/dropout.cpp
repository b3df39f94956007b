#include "kernels/dropout.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/levels.h"

namespace bnrun::kernels {

namespace {

// Numbers drawn at a time into a buffer on the stack (2 KB): the generator runs in a tight loop of its own
// (Random::next_words), and the selections after it vectorize. Drawing is serial within a stream, a few cycles a
// number; eight streams side by side in vector lanes were tried and were slower, as each number then has to be
// moved out of its lane to an element far from its neighbours.
constexpr std::size_t words_at_a_time = 256;

// One element of the mask from its number: kept's bits or +0's (all zero bits), selected with a bit mask rather
// than a branch: a branch on random bits is mispredicted half the time, which cost several times the drawing itself
// (and the compiler turns a conditional expression, or kept·(bool), back into a branch).
template <class T>
BNRUN_ALWAYS_INLINE T kept_or_zero(std::uint64_t word, std::uint64_t threshold, T kept) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const auto keep = static_cast<Bits>(Bits{0} - static_cast<Bits>((word >> 11) >= threshold));
  return std::bit_cast<T>(static_cast<Bits>(std::bit_cast<Bits>(kept) & keep));
}

// mask[k] from words[k], compiled per level (kernels/levels.h).
template <class T>
struct MaskFromWords {
  BNRUN_ALWAYS_INLINE static void run(const std::uint64_t* words, std::size_t n, std::uint64_t threshold, T kept,
                                      T* mask) {
    for (std::size_t k = 0; k < n; ++k) mask[k] = kept_or_zero(words[k], threshold, kept);
  }
};

template <class T>
struct Multiply {
  BNRUN_ALWAYS_INLINE static void run(const T* x, const T* mask, std::size_t begin, std::size_t end, T* y) {
    for (std::size_t k = begin; k < end; ++k) y[k] = x[k] * mask[k];
  }
};

}  // namespace

// Element k is dropped when random.uniform() < rate, decided without the floating-point conversion: uniform() is
// exactly m·2^-53 for the integer m = next() >> 11, and rate·2^53 is exact (a power-of-two scaling), so
// uniform() < rate ⇔ m < rate·2^53 ⇔ m < ceil(rate·2^53). Each block of elements draws its numbers from a copy of
// `random` advanced to its first element (Random::advance), so the mask is the same as one uniform() per element
// in order, on any number of threads.
template <class T>
void dropout_mask(const Compute& compute, Random& random, double rate, std::size_t n, T* mask) {
  const auto kept = static_cast<T>(1.0 / (1.0 - rate));
  const auto threshold = static_cast<std::uint64_t>(std::ceil(std::ldexp(rate, 53)));
  // Per element: a serial step of the generator, about 1 ns, as long as 16 vectorized multiply-adds.
  parallel_for_blocks(compute, n, 16, [&](std::size_t begin, std::size_t end) {
    Random block = random;
    block.advance(begin);
    std::uint64_t words[words_at_a_time];
    for (std::size_t first = begin; first < end; first += words_at_a_time) {
      const std::size_t count = std::min(words_at_a_time, end - first);
      block.next_words(words, count);
      run_at_active_level<MaskFromWords<T>>(words, count, threshold, kept, mask + first);
    }
  });
  random.advance(n);
}

template <class T>
void dropout_apply(const Compute& compute, const T* x, const T* mask, std::size_t n, T* y) {
  parallel_for_blocks(compute, n, 1, [&](std::size_t begin, std::size_t end) {
    run_at_active_level<Multiply<T>>(x, mask, begin, end, y);
  });
}

template void dropout_mask<float>(const Compute&, Random&, double, std::size_t, float*);
template void dropout_mask<double>(const Compute&, Random&, double, std::size_t, double*);
template void dropout_apply<float>(const Compute&, const float*, const float*, std::size_t, float*);
template void dropout_apply<double>(const Compute&, const double*, const double*, std::size_t, double*);

}  // namespace bnrun::kernels
