#include "kernels/gemm.h"

#include <algorithm>

#include "kernels/parallel.h"

namespace bnrun::kernels {

namespace {
// Columns handled together in the reductions below: enough to keep the accumulators in registers/L1 and to let
// the compiler vectorize across columns without reassociating any sum.
constexpr std::size_t column_chunk = 64;
}  // namespace

template <class T>
void matmul(const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n) {
  parallel_for_blocks(m, k * n, [&](std::size_t row_begin, std::size_t row_end) {
    for (std::size_t i = row_begin; i < row_end; ++i) {
      T* c_row = c + i * n;
      std::fill(c_row, c_row + n, T{0});
      const T* a_row = a + i * k;
      for (std::size_t p = 0; p < k; ++p) {
        const T a_value = a_row[p];
        const T* b_row = b + p * n;
        for (std::size_t j = 0; j < n; ++j) c_row[j] += a_value * b_row[j];
      }
    }
  });
}

template <class T>
void matmul_transposed_a(const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n) {
  parallel_for_blocks(k, m * n, [&](std::size_t row_begin, std::size_t row_end) {
    for (std::size_t p = row_begin; p < row_end; ++p) {
      T* c_row = c + p * n;
      std::fill(c_row, c_row + n, T{0});
      for (std::size_t i = 0; i < m; ++i) {
        const T a_value = a[i * k + p];
        const T* b_row = b + i * n;
        for (std::size_t j = 0; j < n; ++j) c_row[j] += a_value * b_row[j];
      }
    }
  });
}

template <class T>
void transpose(const T* in, T* out, std::size_t rows, std::size_t cols) {
  parallel_for_blocks(cols, rows, [&](std::size_t col_begin, std::size_t col_end) {
    for (std::size_t j = col_begin; j < col_end; ++j)
      for (std::size_t i = 0; i < rows; ++i) out[j * rows + i] = in[i * cols + j];
  });
}

template <class T>
void add_row_vector(T* c, const T* bias, std::size_t m, std::size_t n) {
  parallel_for_blocks(m, n, [&](std::size_t row_begin, std::size_t row_end) {
    for (std::size_t i = row_begin; i < row_end; ++i)
      for (std::size_t j = 0; j < n; ++j) c[i * n + j] += bias[j];
  });
}

template <class T>
void column_sums(const T* a, T* sums, std::size_t m, std::size_t n) {
  parallel_for_blocks(n, m, [&](std::size_t col_begin, std::size_t col_end) {
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
  template void matmul<T>(const T*, const T*, T*, std::size_t, std::size_t, std::size_t);              \
  template void matmul_transposed_a<T>(const T*, const T*, T*, std::size_t, std::size_t, std::size_t); \
  template void transpose<T>(const T*, T*, std::size_t, std::size_t);                                  \
  template void add_row_vector<T>(T*, const T*, std::size_t, std::size_t);                             \
  template void column_sums<T>(const T*, T*, std::size_t, std::size_t);
BNRUN_INSTANTIATE_GEMM(float)
BNRUN_INSTANTIATE_GEMM(double)
#undef BNRUN_INSTANTIATE_GEMM

}  // namespace bnrun::kernels
