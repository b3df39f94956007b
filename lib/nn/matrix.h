// A dense row-major matrix: the only tensor type bnrun needs (an MLP's activations are rows × features).
// Its storage is cache-line aligned (core/aligned.h says why).
#pragma once

#include <cstddef>
#include <vector>

#include "core/aligned.h"

namespace bnrun::nn {

template <class T>
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  AlignedVector<T> values;

  Matrix() = default;
  Matrix(std::size_t rows_, std::size_t cols_) : rows(rows_), cols(cols_), values(rows_ * cols_) {}

  // Changes the shape, reusing the storage: training loops call this every batch without reallocating.
  void reshape(std::size_t new_rows, std::size_t new_cols) {
    rows = new_rows;
    cols = new_cols;
    values.resize(rows * cols);
  }
  T* data() { return values.data(); }
  const T* data() const { return values.data(); }
  T* row(std::size_t i) { return values.data() + i * cols; }
  const T* row(std::size_t i) const { return values.data() + i * cols; }
  T& operator()(std::size_t i, std::size_t j) { return values[i * cols + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return values[i * cols + j]; }
  std::size_t size() const { return values.size(); }
};

}  // namespace bnrun::nn
