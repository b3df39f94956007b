#include "kernels/parallel.h"

#include <omp.h>

namespace bnrun::kernels {

namespace {
// Per calling thread: concurrent runs (bnrun -j) each get their share of the cores.
thread_local int configured_threads = 0;
// About 20 µs of vectorized arithmetic: well above the cost of an OpenMP fork/join on an idle machine.
std::size_t minimum_work = std::size_t{1} << 18;
}  // namespace

void set_minimum_parallel_work(std::size_t work) {
  minimum_work = work > 0 ? work : 1;
}

std::size_t minimum_parallel_work() {
  return minimum_work;
}

void set_thread_count(int threads) {
  configured_threads = threads > 0 ? threads : 0;
}

int thread_count() {
  // The default is read once: OpenBLAS' OpenMP build lowers the process-wide OpenMP default when asked to run
  // single-threaded (kernels/gemm.cpp), and that must not shrink ours.
  static const int default_threads = omp_get_max_threads();
  return configured_threads > 0 ? configured_threads : default_threads;
}

}  // namespace bnrun::kernels
