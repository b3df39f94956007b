#include "nn/replicas.h"

#include <algorithm>

namespace bnrun::nn {

namespace {

// Elements summed at a time: their running totals (in double) stay in the first-level cache.
constexpr std::size_t sum_block = 512;

template <class T>
void add_gathered(std::span<const T> gathered, std::span<T> sums) {
  const std::size_t n = sums.size();
  const std::size_t processes = n == 0 ? 0 : gathered.size() / n;
  double totals[sum_block];
  for (std::size_t first = 0; first < n; first += sum_block) {
    const std::size_t width = std::min(sum_block, n - first);
    // From 0.0, as a plain loop would start: 0.0 + (−0.0) is +0.0, and the bits must not depend on the blocking.
    std::fill_n(totals, width, 0.0);
    for (std::size_t r = 0; r < processes; ++r) {
      const T* from = gathered.data() + r * n + first;
      for (std::size_t i = 0; i < width; ++i) totals[i] += static_cast<double>(from[i]);
    }
    for (std::size_t i = 0; i < width; ++i) sums[first + i] = static_cast<T>(totals[i]);
  }
}

template <class T>
void sum_gathered(const Replicas& replicas, std::span<T> values) {
  const std::size_t n = values.size();
  std::vector<T> all(n * static_cast<std::size_t>(replicas.size()));
  replicas.all_gather(std::span<const T>(values.data(), n), all);
  add_gathered(std::span<const T>(all), values);
}

}  // namespace

void add_in_rank_order(std::span<const double> gathered, std::span<double> sums) {
  add_gathered(gathered, sums);
}

void add_in_rank_order(std::span<const float> gathered, std::span<float> sums) {
  add_gathered(gathered, sums);
}

void sum_in_rank_order(const Replicas& replicas, std::span<double> values) {
  sum_gathered(replicas, values);
}

void sum_in_rank_order(const Replicas& replicas, std::span<float> values) {
  sum_gathered(replicas, values);
}

}  // namespace bnrun::nn
