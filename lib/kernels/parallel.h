// The one switch point for threading (as tiny-dnn's parallel_for): nothing else in bnrun names OpenMP.
//
// Determinism contract: every kernel splits its work so that each output element is computed by exactly one
// thread, with the reductions inside that element in a fixed order. The split itself may depend on the thread
// count; the numbers may not. That is why results are bit-identical for any thread count.
#pragma once

#include <cstddef>

namespace bnrun::kernels {

// Sets the number of threads the kernels called from this thread use (>= 1); each thread that runs training
// sets its own (a new thread starts with the default). 0 means the OpenMP default (OMP_NUM_THREADS or cores).
void set_thread_count(int threads);
int thread_count();

// Calls body(begin, end) over [0, n) split into contiguous blocks, at most one per thread. `work_per_item` is
// the item's cost in multiply-adds (roughly): a loop is split only into blocks of at least
// minimum_parallel_work(), because waking a thread costs microseconds and, when another process holds the
// other core, far more (spinning OpenMP threads are descheduled). Small networks like iris stay serial.
template <class Body>
void parallel_for_blocks(std::size_t n, std::size_t work_per_item, Body&& body);

// The least work worth a thread of its own. Tests lower it to 1 to force every kernel to split its work.
void set_minimum_parallel_work(std::size_t work);
std::size_t minimum_parallel_work();

}  // namespace bnrun::kernels

#include "kernels/parallel_impl.h"
