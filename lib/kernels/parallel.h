// The one switch point for threading (as tiny-dnn's parallel_for): nothing else in bnrun names OpenMP.
//
// Determinism contract: every kernel splits its work so that each output element is computed by exactly one
// thread, with the reductions inside that element in a fixed order. The split itself may depend on the thread
// count; the numbers may not. That is why results are bit-identical for any thread count.
#pragma once

#include <cstddef>

namespace bnrun::kernels {

// Sets the number of threads the kernels use (>= 1). 0 means the OpenMP default (OMP_NUM_THREADS or cores).
void set_thread_count(int threads);
int thread_count();

// Calls body(begin, end) over [0, n) split into contiguous blocks, one block per thread. Blocks are at least
// `grain` items so that tiny loops stay on one thread.
template <class Body>
void parallel_for_blocks(std::size_t n, std::size_t grain, Body&& body);

}  // namespace bnrun::kernels

#include "kernels/parallel_impl.h"
