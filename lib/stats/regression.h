// Regression metrics of one evaluation, in the target's own units, each as scikit-learn defines it:
//   rmse = sqrt(mean (y − ŷ)²)        (mean_squared_error(squared=False))
//   mae  = mean |y − ŷ|               (mean_absolute_error)
//   r2   = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²  (r2_score; a constant y gives 1 when every prediction is exact, else 0, as
//                                      its force_finite=True does)
// Sums run in double, in row order: the values do not depend on any thread count.
#pragma once

#include <limits>
#include <span>

namespace bnrun::stats {

struct RegressionMetrics {
  double rmse = std::numeric_limits<double>::quiet_NaN();
  double mae = std::numeric_limits<double>::quiet_NaN();
  double r2 = std::numeric_limits<double>::quiet_NaN();
};

// `truth` and `predicted` have one value per row, the same count; no rows gives NaN for each.
RegressionMetrics regression_metrics(std::span<const double> truth, std::span<const double> predicted);

}  // namespace bnrun::stats
