#include "stats/regression.h"

#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace bnrun::stats {

RegressionMetrics regression_metrics(std::span<const double> truth, std::span<const double> predicted) {
  if (truth.size() != predicted.size())
    throw std::invalid_argument("regression_metrics: the truth and the predictions differ in length");
  RegressionMetrics metrics;
  const std::size_t rows = truth.size();
  if (rows == 0) return metrics;
  double truth_sum = 0.0;
  for (const double y : truth) truth_sum += y;
  const double truth_mean = truth_sum / static_cast<double>(rows);
  double squared_error = 0.0, absolute_error = 0.0, total_variation = 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    const double residual = truth[i] - predicted[i];
    squared_error += residual * residual;
    absolute_error += std::abs(residual);
    total_variation += (truth[i] - truth_mean) * (truth[i] - truth_mean);
  }
  metrics.rmse = std::sqrt(squared_error / static_cast<double>(rows));
  metrics.mae = absolute_error / static_cast<double>(rows);
  if (total_variation > 0.0)
    metrics.r2 = 1.0 - squared_error / total_variation;
  else
    metrics.r2 = squared_error == 0.0 ? 1.0 : 0.0;
  if (!std::isfinite(squared_error)) metrics.r2 = std::numeric_limits<double>::quiet_NaN();
  return metrics;
}

}  // namespace bnrun::stats
