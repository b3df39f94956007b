#include "kernels/gemm.h"

#include <algorithm>
#include <fmt/format.h>
#include <string>

#include "kernels/parallel.h"

#if BNRUN_HAVE_BLAS
#include <cblas.h>
#endif

namespace bnrun::kernels {

namespace {

// Columns handled together in the reductions below: enough to keep the accumulators in registers/L1 and to let
// the compiler vectorize across columns without reassociating any sum.
constexpr std::size_t column_chunk = 64;

// Output rows per tile. Fixed, so the tiles (and each element's arithmetic) never depend on the thread count;
// large enough that OpenBLAS' packing of the shared operand is amortized over the tile.
constexpr std::size_t tile_rows = 32;

// Calls tile(first_row, rows) for each tile of `total_rows`, spreading whole tiles over the threads.
template <class Tile>
void for_each_tile(const Compute& compute, std::size_t total_rows, std::size_t work_per_row, Tile&& tile) {
  const std::size_t tiles = (total_rows + tile_rows - 1) / tile_rows;
  parallel_for_blocks(compute, tiles, tile_rows * work_per_row, [&](std::size_t first_tile, std::size_t end_tile) {
    for (std::size_t t = first_tile; t < end_tile; ++t) {
      const std::size_t first_row = t * tile_rows;
      tile(first_row, std::min(tile_rows, total_rows - first_row));
    }
  });
}

// c (rows×n) = a (rows×k) · b (k×n), one thread.
template <class T>
void builtin_matmul_tile(const T* a, const T* b, T* c, std::size_t rows, std::size_t k, std::size_t n) {
  for (std::size_t i = 0; i < rows; ++i) {
    T* c_row = c + i * n;
    std::fill(c_row, c_row + n, T{0});
    const T* a_row = a + i * k;
    for (std::size_t p = 0; p < k; ++p) {
      const T a_value = a_row[p];
      const T* b_row = b + p * n;
      for (std::size_t j = 0; j < n; ++j) c_row[j] += a_value * b_row[j];
    }
  }
}

// Rows [first, first + rows) of c (k×n) = aᵀ · b, where a is (m×k) and b is (m×n), one thread.
template <class T>
void builtin_transposed_a_tile(const T* a, const T* b, T* c, std::size_t first, std::size_t rows, std::size_t m,
                               std::size_t k, std::size_t n) {
  for (std::size_t p = first; p < first + rows; ++p) {
    T* c_row = c + p * n;
    std::fill(c_row, c_row + n, T{0});
    for (std::size_t i = 0; i < m; ++i) {
      const T a_value = a[i * k + p];
      const T* b_row = b + i * n;
      for (std::size_t j = 0; j < n; ++j) c_row[j] += a_value * b_row[j];
    }
  }
}

#if BNRUN_HAVE_BLAS
// Our threads call OpenBLAS one tile each; its own threads would fight them for the cores, and a tile split
// between OpenBLAS threads might not be computed the same way as one computed whole. So OpenBLAS runs
// single-threaded, always. Its OpenMP build sizes each call by omp_get_max_threads() of the calling thread
// (one inside a parallel region), so setting the count once is not enough: a thread that calls it outside a
// region (a -j job's thread, the main thread predicting) gets it set on its first call. Before, only the first
// caller had it: the -j jobs' products ran on two OpenBLAS threads each, four threads on two cores.
void keep_openblas_single_threaded() {
  static const bool process = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  thread_local const bool this_thread = [] {
    run_nested_libraries_single_threaded();
    return true;
  }();
  (void)process;
  (void)this_thread;
}

void blas_gemm(CBLAS_TRANSPOSE transpose_a, std::size_t m, std::size_t n, std::size_t k, const float* a,
               std::size_t lda, const float* b, std::size_t ldb, float* c, std::size_t ldc) {
  keep_openblas_single_threaded();
  cblas_sgemm(CblasRowMajor, transpose_a, CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), 0.0f, c,
              static_cast<blasint>(ldc));
}
void blas_gemm(CBLAS_TRANSPOSE transpose_a, std::size_t m, std::size_t n, std::size_t k, const double* a,
               std::size_t lda, const double* b, std::size_t ldb, double* c, std::size_t ldc) {
  keep_openblas_single_threaded();
  cblas_dgemm(CblasRowMajor, transpose_a, CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), 0.0, c,
              static_cast<blasint>(ldc));
}

#endif

}  // namespace

MatmulBackend default_matmul_backend() {
  return BNRUN_HAVE_BLAS ? MatmulBackend::blas : MatmulBackend::builtin;
}

std::string_view matmul_backend_description(MatmulBackend backend) {
#if BNRUN_HAVE_BLAS
  // e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64, core SkylakeX"
  static const std::string description = fmt::format("{}, core {}", openblas_get_config(), openblas_get_corename());
  if (backend == MatmulBackend::blas) return description;
#else
  (void)backend;
#endif
  return "none (built-in kernels)";
}

template <class T>
void matmul(const Compute& compute, const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n) {
  for_each_tile(compute, m, k * n, [&](std::size_t first_row, std::size_t rows) {
#if BNRUN_HAVE_BLAS
    if (compute.matmul == MatmulBackend::blas)
      return blas_gemm(CblasNoTrans, rows, n, k, a + first_row * k, k, b, n, c + first_row * n, n);
#endif
    builtin_matmul_tile(a + first_row * k, b, c + first_row * n, rows, k, n);
  });
}

template <class T>
void matmul_transposed_a(const Compute& compute, const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n) {
  for_each_tile(compute, k, m * n, [&](std::size_t first_row, std::size_t rows) {
#if BNRUN_HAVE_BLAS
    if (compute.matmul == MatmulBackend::blas)
      return blas_gemm(CblasTrans, rows, n, m, a + first_row, k, b, n, c + first_row * n, n);
#endif
    builtin_transposed_a_tile(a, b, c, first_row, rows, m, k, n);
  });
}

template <class T>
void transpose(const Compute& compute, const T* in, T* out, std::size_t rows, std::size_t cols) {
  parallel_for_blocks(compute, cols, rows, [&](std::size_t col_begin, std::size_t col_end) {
    for (std::size_t j = col_begin; j < col_end; ++j)
      for (std::size_t i = 0; i < rows; ++i) out[j * rows + i] = in[i * cols + j];
  });
}

template <class T>
void add_row_vector(const Compute& compute, T* c, const T* bias, std::size_t m, std::size_t n) {
  parallel_for_blocks(compute, m, n, [&](std::size_t row_begin, std::size_t row_end) {
    for (std::size_t i = row_begin; i < row_end; ++i)
      for (std::size_t j = 0; j < n; ++j) c[i * n + j] += bias[j];
  });
}

template <class T>
void column_sums(const Compute& compute, const T* a, T* sums, std::size_t m, std::size_t n) {
  parallel_for_blocks(compute, n, m, [&](std::size_t col_begin, std::size_t col_end) {
    for (std::size_t chunk = col_begin; chunk < col_end; chunk += column_chunk) {
      const std::size_t width = std::min(column_chunk, col_end - chunk);
      double accumulators[column_chunk] = {};
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < width; ++j) accumulators[j] += a[i * n + chunk + j];
      for (std::size_t j = 0; j < width; ++j) sums[chunk + j] = static_cast<T>(accumulators[j]);
    }
  });
}

#define BNRUN_INSTANTIATE_GEMM(T)                                                                      \
  template void matmul<T>(const Compute&, const T*, const T*, T*, std::size_t, std::size_t, std::size_t);              \
  template void matmul_transposed_a<T>(const Compute&, const T*, const T*, T*, std::size_t, std::size_t, std::size_t); \
  template void transpose<T>(const Compute&, const T*, T*, std::size_t, std::size_t);                                  \
  template void add_row_vector<T>(const Compute&, T*, const T*, std::size_t, std::size_t);                             \
  template void column_sums<T>(const Compute&, const T*, T*, std::size_t, std::size_t);
BNRUN_INSTANTIATE_GEMM(float)
BNRUN_INSTANTIATE_GEMM(double)
#undef BNRUN_INSTANTIATE_GEMM

}  // namespace bnrun::kernels
