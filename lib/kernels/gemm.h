// Dense matrix products for the Dense layer, over flat row-major buffers.
//
// Two back ends compute them: OpenBLAS (when built with it; the default) and built-in loops that the compiler
// vectorizes. Either way the output is cut into tiles whose shape depends only on the matrix shapes, never on
// the thread count; threads take whole tiles, and each tile is one single-threaded computation. So every
// output element is computed the same way whatever the thread count, and results are bit-identical for any
// --threads (OpenBLAS picks its kernels from the call's dimensions, which is why the tiles must not move).
// The kernels never allocate.
#pragma once

#include <cstddef>
#include <string_view>

#include "kernels/parallel.h"

namespace bnrun::kernels {

// compute.matmul picks the back end of each call (the bench compares them); blas in a build without OpenBLAS
// computes with the built-in loops.

// "OpenBLAS 0.3.21 (...)" or "none (built-in kernels)", for results.json.
std::string_view matmul_backend_description(MatmulBackend backend);

// c (m×n) = a (m×k) · b (k×n)
template <class T>
void matmul(const Compute& compute, const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n);

// c (k×n) = aᵀ · b, where a is (m×k) and b is (m×n). The weight gradient xᵀ·dy of a Dense layer.
template <class T>
void matmul_transposed_a(const Compute& compute, const T* a, const T* b, T* c, std::size_t m, std::size_t k, std::size_t n);

// out (cols×rows) = inᵀ, where in is (rows×cols).
template <class T>
void transpose(const Compute& compute, const T* in, T* out, std::size_t rows, std::size_t cols);

// Adds bias (n) to every row of c (m×n).
template <class T>
void add_row_vector(const Compute& compute, T* c, const T* bias, std::size_t m, std::size_t n);

// sums (n) = column sums of a (m×n), each accumulated in double in row order.
template <class T>
void column_sums(const Compute& compute, const T* a, T* sums, std::size_t m, std::size_t n);

}  // namespace bnrun::kernels
