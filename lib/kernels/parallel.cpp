#include "kernels/parallel.h"

#include <omp.h>

#include <charconv>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "kernels/thread_team.h"

namespace bnrun::kernels {

namespace detail {

void run_blocks(const Compute& compute, std::size_t n, std::size_t worthwhile_blocks, double work, BlockBody body) {
  const auto threads = static_cast<std::size_t>(std::max(compute.threads, 1));
  if (compute.team) {
    const std::size_t blocks =
        std::min({threads * ThreadTeam::blocks_per_thread, worthwhile_blocks, n, ThreadTeam::max_blocks});
    compute.team->run(n, blocks, work, body, compute.adapt_to_load);
    return;
  }
  const std::size_t blocks = std::min({threads, worthwhile_blocks, n});
#pragma omp parallel for schedule(static) num_threads(static_cast <int>(blocks))
  for (std::size_t block = 0; block < blocks; ++block) body(n * block / blocks, n * (block + 1) / blocks);
}

void run_with_team(const Compute& compute, TeamWork work) {
  ThreadTeam team(compute.threads);
  Compute team_compute = compute;
  team_compute.team = &team;
  std::exception_ptr error;
  // Thread 0 is the calling thread itself, so the work runs where it would have run without a team (its signal
  // handling, its thread-locals). Inside the region OpenBLAS sees omp_in_parallel() and stays single-threaded
  // on every thread of the team.
#pragma omp parallel num_threads(compute.threads)
  {
    if (omp_get_thread_num() == 0) {
      try {
        work.call(work.context, team_compute);
      } catch (...) {
        error = std::current_exception();
      }
      team.finish();
    } else {
      team.serve(static_cast<std::size_t>(omp_get_thread_num()));
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace detail

int available_threads() {
  // OMP_NUM_THREADS may be a list ("4,2": the first level's count is ours); anything unreadable is ignored, as
  // OpenMP ignores it.
  if (const char* variable = std::getenv("OMP_NUM_THREADS")) {
    const std::string_view text(variable);
    const auto first = text.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      int threads = 0;
      const auto [end, error] = std::from_chars(text.data() + first, text.data() + text.size(), threads);
      if (error == std::errc{} && threads > 0) return threads;
    }
  }
  return omp_get_num_procs() > 0 ? omp_get_num_procs() : 1;
}

void run_nested_libraries_single_threaded() { omp_set_num_threads(1); }

std::string openmp_description() {
  // _OPENMP is the date of the specification the compiler implements.
  switch (_OPENMP) {
    case 201511: return "OpenMP 4.5 (201511)";
    case 201811: return "OpenMP 5.0 (201811)";
    case 202011: return "OpenMP 5.1 (202011)";
    default: return "OpenMP (" + std::to_string(_OPENMP) + ")";
  }
}

Compute compute_with_threads(int threads) {
  Compute compute;
  compute.threads = threads > 0 ? threads : available_threads();
  return compute;
}

}  // namespace bnrun::kernels
