// Dense matrix products for the Dense layer, over flat row-major buffers.
//
// Each output element is owned by one thread and accumulated in a fixed order (over the shared dimension, low
// index to high), so results do not depend on the thread count. The kernels never allocate.
#pragma once

#include <cstddef>

namespace bnrun::kernels {

// c (m×n) = a (m×k) · b (k×n)
template <class T>
void matmul(const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n);

// c (k×n) = aᵀ · b, where a is (m×k) and b is (m×n). The weight gradient xᵀ·dy of a Dense layer.
template <class T>
void matmul_transposed_a(const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n);

// out (cols×rows) = inᵀ, where in is (rows×cols).
template <class T>
void transpose(const T* in, T* out, std::size_t rows, std::size_t cols);

// Adds bias (n) to every row of c (m×n).
template <class T>
void add_row_vector(T* c, const T* bias, std::size_t m, std::size_t n);

// sums (n) = column sums of a (m×n), each accumulated in double in row order.
template <class T>
void column_sums(const T* a, T* sums, std::size_t m, std::size_t n);

}  // namespace bnrun::kernels
