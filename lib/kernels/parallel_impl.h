// Implementation of parallel_for_blocks: a template, so it lives in a header; kept apart so parallel.h reads
// as the interface alone.
#pragma once

#include <algorithm>
#include <cstddef>

namespace bnrun::kernels {

template <class Body>
void parallel_for_blocks(const Compute& compute, std::size_t n, std::size_t work_per_item, Body&& body) {
  if (n == 0) return;
  const double total_work = static_cast<double>(n) * static_cast<double>(std::max<std::size_t>(work_per_item, 1));
  const auto worthwhile_blocks = static_cast<std::size_t>(total_work / static_cast<double>(std::max<std::size_t>(compute.minimum_parallel_work, 1)));
  const std::size_t blocks = std::min({static_cast<std::size_t>(std::max(compute.threads, 1)), worthwhile_blocks, n});
  if (blocks <= 1) {
    body(std::size_t{0}, n);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(static_cast <int>(blocks))
  for (std::size_t block = 0; block < blocks; ++block) {
    const std::size_t begin = n * block / blocks;
    const std::size_t end = n * (block + 1) / blocks;
    body(begin, end);
  }
}

}  // namespace bnrun::kernels
