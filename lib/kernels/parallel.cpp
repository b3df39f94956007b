#include "kernels/parallel.h"

#include <omp.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace bnrun::kernels {

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

Compute compute_with_threads(int threads) {
  Compute compute;
  compute.threads = threads > 0 ? threads : available_threads();
  return compute;
}

}  // namespace bnrun::kernels
