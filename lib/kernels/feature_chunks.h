// How the per-feature kernels (batchnorm.cpp, batchnorm_split.cpp) split their work: a thread takes whole chunks of
// features and each row contributes a contiguous run of them, so the row-major data is read sequentially and every
// feature's sum runs over the rows in order (the same bits for any thread count). Private to lib/kernels.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "kernels/parallel.h"

namespace bnrun::kernels {

// Features reduced together by one thread: the accumulators live on the stack.
inline constexpr std::size_t feature_chunk = 64;

// Calls body(first_feature, width) for each chunk of features, whole chunks per thread; `cost_per_element` is the
// work per element (parallel_for_blocks' threshold). A full chunk's width is passed as a compile-time constant:
// the inner loops then have a fixed trip count, are fully unrolled and keep their accumulators in registers. With a
// run-time width, the per-row loop set-up cost more than the arithmetic (BatchNorm's forward pass ran 4x slower).
template <class Body>
void for_each_feature_chunk(const Compute& compute, std::size_t rows, std::size_t features,
                            std::size_t cost_per_element, Body&& body) {
  const std::size_t chunks = (features + feature_chunk - 1) / feature_chunk;
  parallel_for_blocks(compute, chunks, cost_per_element * rows * feature_chunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t chunk = begin; chunk < end; ++chunk) {
      const std::size_t first = chunk * feature_chunk;
      const std::size_t width = std::min(feature_chunk, features - first);
      if (width == feature_chunk)
        body(first, std::integral_constant<std::size_t, feature_chunk>{});
      else
        body(first, width);
    }
  });
}

}  // namespace bnrun::kernels
