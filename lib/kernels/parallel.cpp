#include "kernels/parallel.h"

#include <omp.h>

namespace bnrun::kernels {

namespace {
int configured_threads = 0;
}

void set_thread_count(int threads) { configured_threads = threads > 0 ? threads : 0; }

int thread_count() { return configured_threads > 0 ? configured_threads : omp_get_max_threads(); }

}  // namespace bnrun::kernels
