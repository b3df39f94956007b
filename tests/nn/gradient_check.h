// Central finite differences in double precision, for gradient tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace bnrun::testing {

struct GradientComparison {
  double worst_relative_error = 0.0;
  std::size_t worst_index = 0;
};

// Perturbs each entry of `values` by ±step, evaluates `loss`, and compares (L+ − L−)/(2·step) with `analytic`.
// Relative error |a − n| / max(|a|, |n|); entries where both are below `negligible` are compared absolutely.
inline GradientComparison compare_with_finite_differences(std::span<double> values, std::span<const double> analytic,
                                                          const std::function<double()>& loss, double step = 1e-5,
                                                          double negligible = 1e-9) {
  GradientComparison result;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double original = values[i];
    values[i] = original + step;
    const double plus = loss();
    values[i] = original - step;
    const double minus = loss();
    values[i] = original;
    const double numeric = (plus - minus) / (2.0 * step);
    const double scale = std::max(std::abs(analytic[i]), std::abs(numeric));
    const double error = scale < negligible ? std::abs(analytic[i] - numeric) : std::abs(analytic[i] - numeric) / scale;
    if (error > result.worst_relative_error) {
      result.worst_relative_error = error;
      result.worst_index = i;
    }
  }
  return result;
}

}  // namespace bnrun::testing
