#include "stats/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace bnrun::stats {

namespace {

// A point x of (0, 1) held with 1 − x and both logarithms, each computed to full relative precision from the
// caller's own parameter: near either end, forming 1 − x would lose the digits of the smaller one. The logarithms
// stay exact where x itself underflows, which far tails of the t distribution with ν < 1 reach.
struct BetaPoint {
  double x;
  double complement;
  double log_x;
  double log_complement;

  BetaPoint flipped() const { return {complement, x, log_complement, log_x}; }
};

// The point x = ν / (ν + t²) that Student's t maps to, for u = |t| / sqrt(ν): x = 1 / (1 + u²).
BetaPoint t_distribution_point(double u) {
  if (u <= 1.0) {
    const double u_squared = u * u;
    const double log_denominator = std::log1p(u_squared);
    return {1.0 / (1.0 + u_squared), u_squared / (1.0 + u_squared), -log_denominator,
            2.0 * std::log(u) - log_denominator};
  }
  const double inverse_squared = 1.0 / u / u;
  const double log_denominator = std::log1p(inverse_squared);
  return {inverse_squared / (1.0 + inverse_squared), 1.0 / (1.0 + inverse_squared),
          -2.0 * std::log(u) - log_denominator, -log_denominator};
}

// ln Γ(a) − ln Γ(a + b) for a ≥ 20 from Stirling's series, written so that nothing large cancels: lgamma(a) and
// lgamma(a + b) each carry an absolute error near ε·a·ln(a), which the t distribution with many degrees of
// freedom would inherit as a relative error. The first omitted term, 1/(1188·a⁹), is below 2e-15 for a ≥ 20.
double log_gamma_ratio(double a, double b) {
  const auto stirling_correction = [](double z) {
    const double inverse_square = 1.0 / (z * z);
    return (1.0 / 12.0 - inverse_square * (1.0 / 360.0 - inverse_square * (1.0 / 1260.0 - inverse_square / 1680.0))) /
           z;
  };
  return -b * std::log(a) - (a + b - 0.5) * std::log1p(b / a) + b + stirling_correction(a) - stirling_correction(a + b);
}

// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
double log_beta(double a, double b) {
  const double larger = std::max(a, b);
  const double smaller = std::min(a, b);
  if (larger < 20.0) return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  return std::lgamma(smaller) + log_gamma_ratio(larger, smaller);
}

// Continued fraction of the regularized incomplete beta function I_x(a, b), evaluated by the modified Lentz
// method (Numerical Recipes 3rd ed. §6.4 and §5.2). It converges quickly for x < (a + 1) / (a + b + 2), in about
// sqrt(max(a, b)) terms; the caller keeps x on that side.
double incomplete_beta_continued_fraction(double x, double a, double b) {
  // Stands in for a zero denominator, which would otherwise stop Lentz's recurrence.
  constexpr double tiny = 1e-300;
  constexpr double tolerance = 4 * std::numeric_limits<double>::epsilon();
  // Callers keep a and b below 1e5 (larger ν takes the normal expansion), where a few hundred terms suffice.
  constexpr int max_terms = 10000;
  const auto away_from_zero = [](double value) { return std::fabs(value) < tiny ? tiny : value; };

  double c = 1.0;
  double d = 1.0 / away_from_zero(1.0 - (a + b) * x / (a + 1.0));
  double fraction = d;
  for (int m = 1; m <= max_terms; ++m) {
    const double even_m = 2.0 * m;
    const double even_coefficient = m * (b - m) * x / ((a - 1.0 + even_m) * (a + even_m));
    d = 1.0 / away_from_zero(1.0 + even_coefficient * d);
    c = away_from_zero(1.0 + even_coefficient / c);
    fraction *= d * c;
    const double odd_coefficient = -(a + m) * (a + b + m) * x / ((a + even_m) * (a + 1.0 + even_m));
    d = 1.0 / away_from_zero(1.0 + odd_coefficient * d);
    c = away_from_zero(1.0 + odd_coefficient / c);
    const double change = d * c;
    fraction *= change;
    if (std::fabs(change - 1.0) <= tolerance) return fraction;
  }
  throw std::runtime_error("incomplete beta function: continued fraction did not converge for a = " +
                           std::to_string(a) + ", b = " + std::to_string(b));
}

// The regularized incomplete beta function I_x(a, b) for a, b > 0.
double regularized_incomplete_beta(const BetaPoint& point, double a, double b) {
  const double front = std::exp(a * point.log_x + b * point.log_complement - log_beta(a, b));
  if (point.x < (a + 1.0) / (a + b + 2.0)) return front * incomplete_beta_continued_fraction(point.x, a, b) / a;
  // I_x(a, b) = 1 − I_{1−x}(b, a) puts the continued fraction back on its fast side, where the value subtracted
  // from 1 is not close to 1.
  return 1.0 - front * incomplete_beta_continued_fraction(point.complement, b, a) / b;
}

// The point where root_is_above turns from true to false within [low, high], to full double precision: bisection
// stops when the midpoint can no longer be told from an end.
template <class Predicate>
double bisect(const Predicate& root_is_above, double low, double high) {
  for (;;) {
    const double middle = low + (high - low) / 2.0;
    if (middle <= low || middle >= high) return middle;
    (root_is_above(middle) ? low : high) = middle;
  }
}

// The s ≥ 0 where P(|S| > s) = 2·min(p, 1 − p) for a distribution symmetric about zero, given P(|S| > s) and
// P(|S| ≤ s) as functions of s; infinity when s is beyond the range of double. Of the two targets, the smaller
// is matched: the other is 1 minus it and has lost its digits. Both are exact in p: 1 − p for p ≥ 0.5 and
// 2p − 1 for p ≥ 0.25 are exact (Sterbenz), and rounding 1 − 2p for p < 0.25 costs less than one ulp of a
// number above 0.5.
template <class TwoSidedTail, class Central>
double symmetric_quantile_magnitude(double p, const TwoSidedTail& two_sided_tail_at, const Central& central_at) {
  const double two_sided_tail = 2.0 * std::min(p, 1.0 - p);
  const double central = std::fabs(2.0 * p - 1.0);
  const auto root_is_above = [&](double s) {
    return two_sided_tail <= central ? two_sided_tail_at(s) > two_sided_tail : central_at(s) < central;
  };
  double high = 1.0;
  while (root_is_above(high)) {
    high *= 2.0;
    if (std::isinf(high)) return high;
  }
  return bisect(root_is_above, high == 1.0 ? 0.0 : high / 2.0, high);
}

// |t| for Student's t with ν degrees of freedom through the incomplete beta function: with u = |t| / sqrt(ν)
// and x = 1 / (1 + u²), P(|T| > t) = I_x(ν/2, 1/2) and P(|T| ≤ t) = I_{1−x}(1/2, ν/2).
double student_t_magnitude_from_beta(double p, double degrees_of_freedom) {
  const double half_nu = degrees_of_freedom / 2.0;
  const double u = symmetric_quantile_magnitude(
      p, [&](double s) { return regularized_incomplete_beta(t_distribution_point(s), half_nu, 0.5); },
      [&](double s) { return regularized_incomplete_beta(t_distribution_point(s).flipped(), 0.5, half_nu); });
  return std::sqrt(degrees_of_freedom) * u;
}

// |t| for Student's t with very many degrees of freedom, where the continued fraction needs ~sqrt(ν) terms and
// gathers their rounding: the normal quantile z corrected in powers of 1/ν (Abramowitz & Stegun 26.7.5). From
// ν = 1e5 on, the first omitted term, g5(z)/ν⁵, is below 1e-13 of t even at p = 1e-300 (|z| ≈ 37).
double student_t_magnitude_for_large_nu(double p, double degrees_of_freedom) {
  const double z = symmetric_quantile_magnitude(
      p, [](double s) { return std::erfc(s / std::numbers::sqrt2); },
      [](double s) { return std::erf(s / std::numbers::sqrt2); });
  const double z2 = z * z;
  const double g1 = z * (z2 + 1.0) / 4.0;
  const double g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
  const double g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
  const double g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
  const double inverse_nu = 1.0 / degrees_of_freedom;
  return z + inverse_nu * (g1 + inverse_nu * (g2 + inverse_nu * (g3 + inverse_nu * g4)));
}

void require_valid_confidence(double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("paired_difference: confidence must be in (0, 1), got " + std::to_string(confidence));
  }
}

}  // namespace

Summary summarize(std::span<const double> values) {
  Summary summary;
  summary.n = values.size();
  if (values.empty() || std::ranges::any_of(values, [](double value) { return std::isnan(value); })) return summary;

  const auto [min, max] = std::ranges::minmax_element(values);
  summary.min = *min;
  summary.max = *max;

  // Corrected two-pass algorithm (Chan, Golub & LeVeque 1983): the second pass sums deviations from the first
  // pass's mean, and their sum, zero in exact arithmetic, corrects both the mean and the variance for rounding.
  const double count = static_cast<double>(values.size());
  double sum = 0.0;
  for (const double value : values) sum += value;
  const double first_mean = sum / count;
  double deviation_sum = 0.0;
  double squared_deviation_sum = 0.0;
  for (const double value : values) {
    const double deviation = value - first_mean;
    deviation_sum += deviation;
    squared_deviation_sum += deviation * deviation;
  }
  summary.mean = first_mean + deviation_sum / count;
  if (values.size() >= 2) {
    const double variance = (squared_deviation_sum - deviation_sum * deviation_sum / count) / (count - 1.0);
    summary.std = std::sqrt(std::max(variance, 0.0));
  }
  return summary;
}

PairedDifference paired_difference(std::span<const double> a, std::span<const double> b, double confidence) {
  return corrected_paired_difference(a, b, 0.0, confidence);
}

PairedDifference corrected_paired_difference(std::span<const double> a, std::span<const double> b,
                                             double test_to_train_ratio, double confidence) {
  if (!(test_to_train_ratio >= 0.0 && std::isfinite(test_to_train_ratio)))
    throw std::invalid_argument("corrected_paired_difference: the test-to-training ratio must be finite and ≥ 0, got " +
                                std::to_string(test_to_train_ratio));
  if (a.size() != b.size()) {
    throw std::invalid_argument("paired_difference: the two series must have the same length, got " +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()));
  }
  require_valid_confidence(confidence);

  PairedDifference result;
  result.confidence = confidence;
  result.test_to_train_ratio = test_to_train_ratio;
  std::vector<double> differences;
  differences.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      differences.push_back(a[i] - b[i]);
    } else {
      ++result.dropped;
    }
  }

  const Summary summary = summarize(differences);
  result.n = summary.n;
  result.mean = summary.mean;
  result.std = summary.std;
  if (summary.n >= 2) {
    const double count = static_cast<double>(summary.n);
    // (1 + confidence) / 2 is 1 − α/2 without the rounding of forming α first.
    const double t = student_t_quantile((1.0 + confidence) / 2.0, count - 1.0);
    // Nadeau and Bengio: the variance of the mean over resamples that share training rows is (1/J + n₂/n₁)·σ²,
    // not σ²/J. The uncorrected form is kept as it was written, so its bits do not change.
    const double half_width = test_to_train_ratio > 0.0
                                  ? t * summary.std * std::sqrt(1.0 / count + test_to_train_ratio)
                                  : t * summary.std / std::sqrt(count);
    result.ci_low = summary.mean - half_width;
    result.ci_high = summary.mean + half_width;
  }
  return result;
}

double student_t_quantile(double p, double degrees_of_freedom) {
  if (!(p > 0.0 && p < 1.0)) {
    throw std::invalid_argument("student_t_quantile: p must be in (0, 1), got " + std::to_string(p));
  }
  if (!(degrees_of_freedom > 0.0 && std::isfinite(degrees_of_freedom))) {
    throw std::invalid_argument("student_t_quantile: degrees of freedom must be finite and positive, got " +
                                std::to_string(degrees_of_freedom));
  }
  if (p == 0.5) return 0.0;
  constexpr double large_nu = 1e5;
  const double magnitude = degrees_of_freedom < large_nu ? student_t_magnitude_from_beta(p, degrees_of_freedom)
                                                         : student_t_magnitude_for_large_nu(p, degrees_of_freedom);
  return p < 0.5 ? -magnitude : magnitude;
}

}  // namespace bnrun::stats
