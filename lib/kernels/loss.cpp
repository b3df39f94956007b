#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

namespace bnrun::kernels {

double label_weight_sum(const std::int32_t* labels, std::size_t rows, const double* class_weights) {
  if (!class_weights) return static_cast<double>(rows);
  double sum = 0.0;
  for (std::size_t i = 0; i < rows; ++i) sum += class_weights[labels[i]];
  return sum;
}

// Serial on purpose: the work is rows × classes (tiny next to the matrix products), and one loop keeps the
// summation order, hence the loss, independent of the thread count without a scratch buffer.
template <class T>
double softmax_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, std::size_t classes,
                             T* dlogits, const double* class_weights) {
  double total = 0.0;
  const double inverse_weight_sum = 1.0 / label_weight_sum(labels, rows, class_weights);
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = logits + i * classes;
    const double largest = *std::max_element(row, row + classes);
    double sum_exp = 0.0;
    for (std::size_t j = 0; j < classes; ++j) sum_exp += std::exp(static_cast<double>(row[j]) - largest);
    const double log_sum_exp = largest + std::log(sum_exp);
    const auto label = static_cast<std::size_t>(labels[i]);
    const double row_loss = log_sum_exp - static_cast<double>(row[label]);
    total += class_weights ? class_weights[label] * row_loss : row_loss;
    if (dlogits) {
      T* grad = dlogits + i * classes;
      const double scale = class_weights ? class_weights[label] * inverse_weight_sum : inverse_weight_sum;
      for (std::size_t j = 0; j < classes; ++j) {
        const double probability = std::exp(static_cast<double>(row[j]) - log_sum_exp);
        grad[j] = static_cast<T>((probability - (j == label ? 1.0 : 0.0)) * scale);
      }
    }
  }
  return total * inverse_weight_sum;
}

template <class T>
double sigmoid_binary_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, T* dlogits,
                                    const double* class_weights) {
  double total = 0.0;
  const double inverse_weight_sum = 1.0 / label_weight_sum(labels, rows, class_weights);
  for (std::size_t i = 0; i < rows; ++i) {
    const double z = logits[i];
    const double y = labels[i] != 0 ? 1.0 : 0.0;
    const double weight = class_weights ? class_weights[labels[i] != 0 ? 1 : 0] : 1.0;
    const double row_loss = std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    total += class_weights ? weight * row_loss : row_loss;
    if (dlogits) {
      const double probability = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      const double scale = class_weights ? weight * inverse_weight_sum : inverse_weight_sum;
      dlogits[i] = static_cast<T>((probability - y) * scale);
    }
  }
  return total * inverse_weight_sum;
}

template <class T>
double regression_loss(RegressionLoss loss, const T* outputs, const T* targets, std::size_t rows, T* doutputs,
                       double huber_delta) {
  double total = 0.0;
  const double inverse_rows = rows > 0 ? 1.0 / static_cast<double>(rows) : 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    const double residual = static_cast<double>(outputs[i]) - static_cast<double>(targets[i]);
    const double size = std::abs(residual);
    double row_loss = 0.0;
    double slope = 0.0;
    switch (loss) {
      case RegressionLoss::mse:
        row_loss = residual * residual;
        slope = 2.0 * residual;
        break;
      case RegressionLoss::mae:
        row_loss = size;
        slope = residual > 0.0 ? 1.0 : residual < 0.0 ? -1.0 : 0.0;
        break;
      case RegressionLoss::huber:
        row_loss = size <= huber_delta ? 0.5 * residual * residual : huber_delta * (size - 0.5 * huber_delta);
        slope = std::clamp(residual, -huber_delta, huber_delta);
        break;
    }
    total += row_loss;
    if (doutputs) doutputs[i] = static_cast<T>(slope * inverse_rows);
  }
  return total * inverse_rows;
}

template double regression_loss<float>(RegressionLoss, const float*, const float*, std::size_t, float*, double);
template double regression_loss<double>(RegressionLoss, const double*, const double*, std::size_t, double*, double);
template double softmax_cross_entropy<float>(const float*, const std::int32_t*, std::size_t, std::size_t, float*,
                                             const double*);
template double softmax_cross_entropy<double>(const double*, const std::int32_t*, std::size_t, std::size_t, double*,
                                              const double*);
template double sigmoid_binary_cross_entropy<float>(const float*, const std::int32_t*, std::size_t, float*,
                                                    const double*);
template double sigmoid_binary_cross_entropy<double>(const double*, const std::int32_t*, std::size_t, double*,
                                                     const double*);

}  // namespace bnrun::kernels
