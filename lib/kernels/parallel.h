// The one switch point for threading (as tiny-dnn's parallel_for): nothing else in bnrun names OpenMP.
//
// The thread budget is data: every kernel that may split its work takes a `const Compute&` as its first
// parameter (as ggml passes ith/nth in its compute params), handed down from the command line through the
// runner, the trainer, the model and its layers. Nothing here keeps a setting of its own.
//
// Determinism contract: every kernel splits its work so that each output element is computed by exactly one
// thread, with the reductions inside that element in a fixed order. The split itself may depend on the thread
// count; the numbers may not. That is why results are bit-identical for any thread count.
#pragma once

#include <cstddef>

namespace bnrun::kernels {

// Who computes the Dense layers' matrix products (kernels/gemm.h).
enum class MatmulBackend { builtin, blas };

// OpenBLAS when the build has it, else the built-in loops.
MatmulBackend default_matmul_backend();

// About 20 µs of vectorized arithmetic: well above the cost of an OpenMP fork/join on an idle machine. Waking a
// thread costs microseconds and, when another process holds the other core, far more (spinning OpenMP threads
// are descheduled), so small networks like iris stay serial.
inline constexpr std::size_t default_minimum_parallel_work = std::size_t{1} << 18;

struct Compute {
  // At most this many threads run one kernel call (>= 1).
  int threads = 1;
  // The least work, in multiply-adds (roughly), worth a thread of its own. Tests set 1 to force every kernel to
  // split its work.
  std::size_t minimum_parallel_work = default_minimum_parallel_work;
  MatmulBackend matmul = default_matmul_backend();
};

// The threads this process may use when the user names none: OMP_NUM_THREADS if it is set, else the cores the
// process may run on. Read from the environment, not from OpenMP's default, which OpenBLAS lowers (gemm.cpp).
int available_threads();

// A budget of `threads` threads (0: available_threads()) with the default work threshold and matmul back end.
Compute compute_with_threads(int threads);

// Calls body(begin, end) over [0, n) split into contiguous blocks, at most one per thread of `compute`.
// `work_per_item` is the item's cost in multiply-adds (roughly): a loop is split only into blocks of at least
// compute.minimum_parallel_work.
template <class Body>
void parallel_for_blocks(const Compute& compute, std::size_t n, std::size_t work_per_item, Body&& body);

}  // namespace bnrun::kernels

#include "kernels/parallel_impl.h"
