// The one switch point for threading (as tiny-dnn's parallel_for): nothing else in bnrun names OpenMP.
//
// The thread budget is data: every kernel that may split its work takes a `const Compute&` as its first
// parameter (as ggml passes ith/nth in its compute params), handed down from the command line through the
// runner, the trainer, the model and its layers. Nothing here keeps a setting of its own.
//
// Determinism contract: every kernel splits its work so that each output element is computed by exactly one
// thread, with the reductions inside that element in a fixed order. The split itself may depend on the thread
// count; the numbers may not. That is why results are bit-identical for any thread count, and why it does not
// matter which thread of a team runs a block, or whether a loop runs on one thread because the others are busy.
//
// Two ways a loop gets its threads:
// - inside with_thread_team (a training run): a persistent team. The threads stay up for the whole run, wait
//   for the next loop by spinning briefly and then sleeping, and take blocks of it as they arrive; the calling
//   thread never waits for a thread that has not started (thread_team.h). A training step runs twenty or so
//   short loops, so opening an OpenMP region for each cost a fork and a join barrier every time, and under load
//   one thread without a core held every loop up.
// - elsewhere (reading a CSV, predicting): one OpenMP region per loop, one block per thread.
#pragma once

#include <string>

#include <cstddef>

namespace bnrun::kernels {

// Who computes the Dense layers' matrix products (kernels/gemm.h).
enum class MatmulBackend { builtin, blas };

// OpenBLAS when the build has it, else the built-in loops.
MatmulBackend default_matmul_backend();

// About 20 µs of vectorized arithmetic: well above the cost of handing a block to a waiting thread. Waking a
// thread costs microseconds and, when another process holds the other core, far more, so small networks like
// iris stay serial.
inline constexpr std::size_t default_minimum_parallel_work = std::size_t{1} << 18;

class ThreadTeam;

struct Compute {
  // At most this many threads run one kernel call (>= 1).
  int threads = 1;
  // The least work, in multiply-adds (roughly), worth a thread of its own. Tests set 1 to force every kernel to
  // split its work.
  std::size_t minimum_parallel_work = default_minimum_parallel_work;
  MatmulBackend matmul = default_matmul_backend();
  // Inside a team, run the loops on the calling thread alone while that trains faster (another process holds a
  // core, or the cores share data slowly; team_health.h). Tests that must see every split they ask for
  // set false.
  bool adapt_to_load = true;
  // The persistent team the loops go to; set by with_thread_team, null outside one.
  ThreadTeam* team = nullptr;
};

// The threads this process may use when the user names none: OMP_NUM_THREADS if it is set, else the cores the
// process may run on. Read from the environment, not from OpenMP's default, which OpenBLAS lowers (gemm.cpp).
int available_threads();

// The OpenMP the kernels were built with, for bnrun --version: "OpenMP 4.5 (201511)".
std::string openmp_description();

// Makes a library that threads itself with OpenMP (OpenBLAS' OpenMP build) run single-threaded when called from
// this thread outside a parallel region: it sets this thread's OpenMP thread count to 1. Our own loops name
// their thread counts, so they are not affected.
void run_nested_libraries_single_threaded();

// A budget of `threads` threads (0: available_threads()) with the default work threshold and matmul back end.
Compute compute_with_threads(int threads);

// Calls body(begin, end) over [0, n) split into contiguous blocks. `work_per_item` is the item's cost in
// multiply-adds (roughly): a loop is split only into blocks of at least compute.minimum_parallel_work.
template <class Body>
void parallel_for_blocks(const Compute& compute, std::size_t n, std::size_t work_per_item, Body&& body);

// Runs work(team_compute) on the calling thread while compute.threads - 1 more threads stand by for the
// parallel loops it starts with team_compute; the threads end when work returns (or throws: the exception is
// passed on). With one thread, or inside a team already, it just calls work(compute).
template <class Work>
void with_thread_team(const Compute& compute, Work&& work);

}  // namespace bnrun::kernels

#include "kernels/parallel_impl.h"
