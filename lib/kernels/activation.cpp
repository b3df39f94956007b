#include "kernels/activation.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/names.h"
#include "kernels/parallel.h"

namespace bnrun::kernels {

namespace {

constexpr std::array<std::pair<Activation, std::string_view>, 5> names = {{
    {Activation::linear, "linear"},
    {Activation::relu, "relu"},
    {Activation::sigmoid, "sigmoid"},
    {Activation::tanh, "tanh"},
    {Activation::softmax, "softmax"},
}};

// Numerically stable logistic: never exponentiates a large positive number.
template <class T>
T logistic(T z) {
  if (z >= T{0}) return T{1} / (T{1} + std::exp(-z));
  const T e = std::exp(z);
  return e / (T{1} + e);
}

template <class T>
void softmax_row(T* row, std::size_t cols) {
  const T largest = *std::max_element(row, row + cols);
  double total = 0.0;
  for (std::size_t j = 0; j < cols; ++j) {
    row[j] = std::exp(row[j] - largest);
    total += row[j];
  }
  const T inverse = static_cast<T>(1.0 / total);
  for (std::size_t j = 0; j < cols; ++j) row[j] *= inverse;
}

// tanh and exp cost tens of multiply-adds; relu one.
constexpr std::size_t work_per_element = 16;

}  // namespace

std::string_view activation_name(Activation activation) { return name_in(names, activation); }

std::optional<Activation> activation_from_name(std::string_view name) { return value_in(names, name); }

std::vector<std::string_view> activation_names() { return names_in(names); }

template <class T>
void activation_forward(const Compute& compute, Activation activation, const T* input, T* output, std::size_t rows, std::size_t cols) {
  parallel_for_blocks(compute, rows, cols * work_per_element, [&](std::size_t row_begin, std::size_t row_end) {
    const std::size_t begin = row_begin * cols;
    const std::size_t end = row_end * cols;
    switch (activation) {
      case Activation::linear:
        if (output != input) std::copy(input + begin, input + end, output + begin);
        break;
      case Activation::relu:
        for (std::size_t k = begin; k < end; ++k) output[k] = input[k] > T{0} ? input[k] : T{0};
        break;
      case Activation::sigmoid:
        for (std::size_t k = begin; k < end; ++k) output[k] = logistic(input[k]);
        break;
      case Activation::tanh:
        for (std::size_t k = begin; k < end; ++k) output[k] = std::tanh(input[k]);
        break;
      case Activation::softmax:
        if (output != input) std::copy(input + begin, input + end, output + begin);
        for (std::size_t i = row_begin; i < row_end; ++i) softmax_row(output + i * cols, cols);
        break;
    }
  });
}

template <class T>
void activation_backward(const Compute& compute, Activation activation, const T* y, const T* dy, T* dx, std::size_t rows, std::size_t cols) {
  parallel_for_blocks(compute, rows, cols * work_per_element, [&](std::size_t row_begin, std::size_t row_end) {
    const std::size_t begin = row_begin * cols;
    const std::size_t end = row_end * cols;
    switch (activation) {
      case Activation::linear:
        for (std::size_t k = begin; k < end; ++k) dx[k] = dy[k];
        break;
      case Activation::relu:
        // dy is loaded whatever the sign: a load under a condition keeps GCC from vectorizing the loop.
        for (std::size_t k = begin; k < end; ++k) {
          const T gradient = dy[k];
          dx[k] = y[k] > T{0} ? gradient : T{0};
        }
        break;
      case Activation::sigmoid:
        for (std::size_t k = begin; k < end; ++k) dx[k] = dy[k] * y[k] * (T{1} - y[k]);
        break;
      case Activation::tanh:
        for (std::size_t k = begin; k < end; ++k) dx[k] = dy[k] * (T{1} - y[k] * y[k]);
        break;
      case Activation::softmax:
        for (std::size_t i = row_begin; i < row_end; ++i) {
          const std::size_t offset = i * cols;
          double dot = 0.0;
          for (std::size_t j = 0; j < cols; ++j) dot += static_cast<double>(dy[offset + j]) * y[offset + j];
          for (std::size_t j = 0; j < cols; ++j)
            dx[offset + j] = y[offset + j] * (dy[offset + j] - static_cast<T>(dot));
        }
        break;
    }
  });
}

template void activation_forward<float>(const Compute&, Activation, const float*, float*, std::size_t, std::size_t);
template void activation_forward<double>(const Compute&, Activation, const double*, double*, std::size_t, std::size_t);
template void activation_backward<float>(const Compute&, Activation, const float*, const float*, float*, std::size_t, std::size_t);
template void activation_backward<double>(const Compute&, Activation, const double*, const double*, double*, std::size_t, std::size_t);

}  // namespace bnrun::kernels
