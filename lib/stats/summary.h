// Statistics across seeds: what bnrun reports when it runs each variant (bn, no_bn) for several seeds.
//
// A single seed says little about whether BatchNorm helps; the spread across seeds and the paired difference
// bn − no_bn over the same seeds do. Pairing matters: both variants share a seed's split and initialisation, so
// the seed-to-seed variation cancels in the difference and the interval is narrower than comparing two means.
//
// summarize: n, mean, sample standard deviation (n − 1), min, max; corrected two-pass mean and variance in double.
// paired_difference: mean and std of d = a − b, and the Student t interval mean ± t(1 − α/2, n − 1)·std/sqrt(n),
//   the interval scipy.stats.ttest_rel(a, b).confidence_interval() gives (to scipy's own t.ppf, good to ~1e-9).
// student_t_quantile: the inverse CDF of Student's t, from the regularized incomplete beta function; no
//   dependency, so the verdicts bnrun prints do not rest on a library the build may lack.
//
// The module knows nothing of training: it sees numbers only.
#pragma once

#include <cstddef>
#include <limits>
#include <span>

namespace bnrun::stats {

struct Summary {
  std::size_t n = 0;
  // All NaN when n == 0; std is NaN when n < 2. A NaN among the values makes every statistic NaN, so a failed
  // run cannot hide behind its neighbours; callers that mean to skip failed runs filter them out first.
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
};

Summary summarize(std::span<const double> values);

struct PairedDifference {
  std::size_t n = 0;        // pairs used
  std::size_t dropped = 0;  // pairs left out because a[i] or b[i] was not finite (a diverged or failed run)
  double mean = std::numeric_limits<double>::quiet_NaN();     // of a[i] − b[i]; NaN when n == 0
  double std = std::numeric_limits<double>::quiet_NaN();      // sample std (n − 1); NaN when n < 2
  double ci_low = std::numeric_limits<double>::quiet_NaN();   // NaN when n < 2
  double ci_high = std::numeric_limits<double>::quiet_NaN();  // NaN when n < 2
  double confidence = 0.95;
  // > 0: the Nadeau–Bengio corrected interval (corrected_paired_difference), with this n_test / n_train.
  double test_to_train_ratio = 0.0;

  // True when the whole interval lies strictly above or strictly below zero; false when it is NaN (too few
  // pairs). Identical differences (std 0) give a zero-width interval, which excludes zero unless the mean is 0.
  bool excludes_zero() const { return ci_low > 0.0 || ci_high < 0.0; }
};

// a[i] and b[i] are the same seed's result for the two variants. Throws std::invalid_argument when the lengths
// differ or confidence is not in (0, 1).
PairedDifference paired_difference(std::span<const double> a, std::span<const double> b, double confidence = 0.95);

// The corrected resampled t-test's interval (Nadeau & Bengio 2003, "Inference for the generalization error";
// Bouckaert & Frank 2004 for r × K-fold cross-validation): the pairs come from J train/test resamples of one data
// set whose training sets overlap, so the differences are correlated and σ²/J understates the variance of their
// mean. The interval is mean ± t(1 − α/2, J − 1)·std·sqrt(1/J + n_test/n_train) — for K-fold, n_test/n_train =
// 1/(K − 1). With test_to_train_ratio 0 it is paired_difference. Throws std::invalid_argument as paired_difference
// does, and for a ratio that is negative or not finite.
PairedDifference corrected_paired_difference(std::span<const double> a, std::span<const double> b,
                                             double test_to_train_ratio, double confidence = 0.95);

// The t with P(T ≤ t) = p for Student's t distribution with degrees_of_freedom > 0 (any real, finite value);
// ±infinity when t is beyond the range of double (far tails with fewer than one degree of freedom). Relative
// error below 1e-12 against 50-digit mpmath values for degrees of freedom from 0.05 to 1e20. Throws
// std::invalid_argument when p is not in (0, 1) or degrees_of_freedom is not finite and positive.
double student_t_quantile(double p, double degrees_of_freedom);

}  // namespace bnrun::stats
