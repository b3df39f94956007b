#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

namespace bnrun::kernels {

// Serial on purpose: the work is rows × classes (tiny next to the matrix products), and one loop keeps the
// summation order, hence the loss, independent of the thread count without a scratch buffer.
template <class T>
double softmax_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, std::size_t classes,
                             T* dlogits) {
  double total = 0.0;
  const double inverse_rows = 1.0 / static_cast<double>(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = logits + i * classes;
    const double largest = *std::max_element(row, row + classes);
    double sum_exp = 0.0;
    for (std::size_t j = 0; j < classes; ++j) sum_exp += std::exp(static_cast<double>(row[j]) - largest);
    const double log_sum_exp = largest + std::log(sum_exp);
    const auto label = static_cast<std::size_t>(labels[i]);
    total += log_sum_exp - static_cast<double>(row[label]);
    if (dlogits) {
      T* grad = dlogits + i * classes;
      for (std::size_t j = 0; j < classes; ++j) {
        const double probability = std::exp(static_cast<double>(row[j]) - log_sum_exp);
        grad[j] = static_cast<T>((probability - (j == label ? 1.0 : 0.0)) * inverse_rows);
      }
    }
  }
  return total * inverse_rows;
}

template <class T>
double sigmoid_binary_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, T* dlogits) {
  double total = 0.0;
  const double inverse_rows = 1.0 / static_cast<double>(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const double z = logits[i];
    const double y = labels[i] != 0 ? 1.0 : 0.0;
    total += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    if (dlogits) {
      const double probability = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      dlogits[i] = static_cast<T>((probability - y) * inverse_rows);
    }
  }
  return total * inverse_rows;
}

template double softmax_cross_entropy<float>(const float*, const std::int32_t*, std::size_t, std::size_t, float*);
template double softmax_cross_entropy<double>(const double*, const std::int32_t*, std::size_t, std::size_t, double*);
template double sigmoid_binary_cross_entropy<float>(const float*, const std::int32_t*, std::size_t, float*);
template double sigmoid_binary_cross_entropy<double>(const double*, const std::int32_t*, std::size_t, double*);

}  // namespace bnrun::kernels
