#include "nn/replicas.h"

namespace bnrun::nn {

namespace {

template <class T>
void sum_gathered(const Replicas& replicas, std::span<T> values) {
  const std::size_t n = values.size();
  std::vector<T> all(n * static_cast<std::size_t>(replicas.size()));
  replicas.all_gather(std::span<const T>(values.data(), n), all);
  for (std::size_t i = 0; i < n; ++i) {
    double total = 0.0;
    for (std::size_t r = 0; r < static_cast<std::size_t>(replicas.size()); ++r) total += all[r * n + i];
    values[i] = static_cast<T>(total);
  }
}

}  // namespace

void sum_in_rank_order(const Replicas& replicas, std::span<double> values) {
  sum_gathered(replicas, values);
}

void sum_in_rank_order(const Replicas& replicas, std::span<float> values) {
  sum_gathered(replicas, values);
}

}  // namespace bnrun::nn
