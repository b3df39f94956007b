#include "train/data_parallel.h"

#include <fmt/format.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace bnrun::train {

Slice slice_of_batch(std::size_t count, int rank, int size) {
  const auto processes = static_cast<std::size_t>(size);
  const auto r = static_cast<std::size_t>(rank);
  const std::size_t base = count / processes;
  const std::size_t extra = count % processes;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

void GradientExchange::sum(const std::vector<nn::Parameter<float>>& parameters) {
  local_.clear();
  for (const auto& parameter : parameters)
    local_.insert(local_.end(), parameter.gradients->begin(), parameter.gradients->end());
  const std::size_t n = local_.size();
  const auto processes = static_cast<std::size_t>(replicas_.size());
  all_.resize(n * processes);
  replicas_.all_gather(local_, all_);
  nn::add_in_rank_order(std::span<const float>(all_), std::span<float>(local_));
  std::size_t offset = 0;
  for (const auto& parameter : parameters) {
    auto& gradients = *parameter.gradients;
    std::copy_n(local_.begin() + static_cast<std::ptrdiff_t>(offset), gradients.size(), gradients.begin());
    offset += gradients.size();
  }
}

void require_same_model(const nn::Replicas& replicas, const std::vector<std::vector<float>*>& tensors) {
  // FNV-1a over the bits, sent as two exact 32-bit halves.
  std::uint64_t hash = 14695981039346656037ull;
  for (const auto* tensor : tensors)
    for (const float value : *tensor) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &value, sizeof bits);
      hash = (hash ^ bits) * 1099511628211ull;
    }
  const std::vector<double> local = {static_cast<double>(hash >> 32), static_cast<double>(hash & 0xffffffffu)};
  std::vector<double> all(2 * static_cast<std::size_t>(replicas.size()));
  replicas.all_gather(local, all);
  for (int r = 0; r < replicas.size(); ++r)
    if (all[2 * static_cast<std::size_t>(r)] != local[0] || all[2 * static_cast<std::size_t>(r) + 1] != local[1])
      throw std::logic_error(fmt::format("the model on rank {} differs from rank {}'s after training", r,
                                         replicas.rank()));
}

}  // namespace bnrun::train
