#include "core/numpy_random.h"

namespace bnrun {

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
  std::uint64_t value = 0;
  if (max <= 0xffffffffULL) {
    do value = static_cast<std::uint64_t>(engine_()) & mask;
    while (value > max);
  } else {
    do {
      const std::uint64_t high = engine_();
      value = ((high << 32) | static_cast<std::uint64_t>(engine_())) & mask;
    } while (value > max);
  }
  return value;
}

std::vector<std::size_t> NumpyRandomState::permutation(std::size_t n) {
  std::vector<std::size_t> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = i;
  shuffle(items);
  return items;
}

}  // namespace bnrun
