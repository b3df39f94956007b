// The statistics bnrun reports across seeds: summaries, paired differences and Student t quantiles, checked
// against values computed independently in Python (the commands are next to each table).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "stats/summary.h"

using bnrun::stats::corrected_paired_difference;
using bnrun::stats::paired_difference;
using bnrun::stats::student_t_quantile;
using bnrun::stats::summarize;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

struct QuantileCase {
  double degrees_of_freedom;
  double p;
  double t;
};

// Reference quantiles to 17 digits from mpmath at 50 digits, bisecting the exact CDF:
//   /usr/bin/python3 -c "import mpmath as m; m.mp.dps=50; h=m.mpf(1)/2; nu,p=m.mpf(9),m.mpf(0.975);
//     g=lambda t: m.betainc(nu/2,h,0,nu/(nu+t*t),regularized=True)-2*(1-p); lo,hi=m.mpf(0),m.mpf(100)
//     [then 300 bisection steps on g, sign by p < 0.5]"
// They were also compared with scipy 1.10: /usr/bin/python3 -c "from scipy import stats;
// print(repr(stats.t.ppf(0.975, 9)))". scipy's t.ppf (cephes stdtrit) is itself off by up to 2.3e-9 here
// (df 4, p 0.05: scipy -2.1318467813362907), so scipy's figures could not hold a 1e-9 tolerance; mpmath's are exact.
const std::vector<QuantileCase> t_quantile_table = {
    {1, 0.975, 12.706204736174693},    {1, 0.995, 63.656741162871524},    {1, 0.05, -6.3137515146750427},
    {2, 0.975, 4.3026527297494618},    {2, 0.995, 9.9248432009182886},    {2, 0.05, -2.9199855803537256},
    {4, 0.975, 2.7764451051977935},    {4, 0.995, 4.604094871349992},     {4, 0.05, -2.1318467863266503},
    {9, 0.975, 2.262157162798205},     {9, 0.995, 3.2498355415921257},    {9, 0.05, -1.8331129326562371},
    {19, 0.975, 2.0930240544083093},   {19, 0.995, 2.8609346064649788},   {19, 0.05, -1.7291328115213695},
    {29, 0.975, 2.0452296421327039},   {29, 0.995, 2.7563859036706051},   {29, 0.05, -1.6991270265334977},
    {100, 0.975, 1.9839715185235519},  {100, 0.995, 2.6258905214380176},  {100, 0.05, -1.6602343260853395},
    {1000, 0.975, 1.9623390808264081}, {1000, 0.995, 2.5807546980659508}, {1000, 0.05, -1.6463788172854647},
};

// Same mpmath computation: real-valued degrees of freedom, a far tail, p next to 1/2, many degrees of freedom
// (60000: ln B(ν/2, 1/2) straight from lgamma would cost 1e-10 there), and the range from 1e5 on, where the quantile
// comes from the normal one corrected in powers of 1/ν instead of the beta function (p = 1e-300 needs the 1/ν⁴ term).
const std::vector<QuantileCase> t_quantile_edge_table = {
    {2.5, 0.975, 3.5746548420036818},      {0.5, 0.9, 10.270324410234511},     {3, 1e-12, -10331.108244292486},
    {7, 0.5000001, 2.5974602742784955e-7}, {60000, 0.995, 2.5759112484630342}, {60000, 0.05, -1.6448790234984376},
    {1e5, 0.995, 2.575878469908375},       {1e5, 1e-300, -37.174670665466219}, {1e7, 0.975, 1.9599642217672051},
    {1e20, 0.6, 0.25334710313579974},
};

// Test accuracies of eight seeds of an iris run, both variants on the same seed's split and initialisation.
const std::vector<double> bn_accuracy = {0.9667, 0.9333, 1.0, 0.9667, 0.9333, 0.9, 0.9667, 1.0};
const std::vector<double> no_bn_accuracy = {0.9333, 0.9333, 0.9667, 0.9, 0.9333, 0.8667, 0.9667, 0.9333};

// scipy 1.10, from ttest_rel (its interval is mean ± t.ppf((1+c)/2, n−1)·std/sqrt(n), std with ddof=1):
//   /usr/bin/python3 -c "import numpy as np; from scipy import stats; a=np.array([...bn...]);
//     b=np.array([...no_bn...]); d=a-b; r=stats.ttest_rel(a,b); ci=r.confidence_interval(0.95);
//     print(repr(d.mean()), repr(d.std(ddof=1)), repr(ci.low), repr(ci.high))"
// scipy's t.ppf(0.975, 7) is 2.5e-10 below the exact 2.3646242515927847, which moves these bounds by ~6e-12:
// the bounds are compared with a 1e-10 margin, the mean and std tightly.
constexpr double accuracy_difference_mean = 0.029174999999999993;
constexpr double accuracy_difference_std = 0.027830289254695134;
constexpr double accuracy_interval_95_low = 0.0059082959337996704;
constexpr double accuracy_interval_95_high = 0.052441704066200315;
constexpr double accuracy_interval_99_low = -0.005258141852993045;
constexpr double accuracy_interval_99_high = 0.06360814185299303;
constexpr double interval_margin = 1e-10;

}  // namespace

TEST_CASE("t quantiles match the reference table to 1e-12 relative", "[stats]") {
  for (const auto& expected : t_quantile_table) {
    INFO("df " << expected.degrees_of_freedom << ", p " << expected.p);
    CHECK(student_t_quantile(expected.p, expected.degrees_of_freedom) == Approx(expected.t).epsilon(1e-12));
  }
}

TEST_CASE("t quantiles hold for real degrees of freedom, far tails, p next to 1/2 and huge degrees of freedom",
          "[stats]") {
  for (const auto& expected : t_quantile_edge_table) {
    INFO("df " << expected.degrees_of_freedom << ", p " << expected.p);
    CHECK(student_t_quantile(expected.p, expected.degrees_of_freedom) == Approx(expected.t).epsilon(1e-12));
  }
}

TEST_CASE("t quantiles with one and two degrees of freedom follow their closed forms", "[stats]") {
  for (const double p : {1e-300, 1e-9, 0.001, 0.05, 0.3, 0.49, 0.51, 0.7, 0.975, 0.999999}) {
    INFO("p " << p);
    // Cauchy: tan(π(p − 1/2)), written through the smaller tail so the reference itself keeps its digits.
    const double tail = std::min(p, 1.0 - p);
    const double cauchy = (p < 0.5 ? -1.0 : 1.0) / std::tan(std::numbers::pi * tail);
    CHECK(student_t_quantile(p, 1.0) == Approx(cauchy).epsilon(1e-13));
    CHECK(student_t_quantile(p, 2.0) == Approx((2.0 * p - 1.0) / std::sqrt(2.0 * p * (1.0 - p))).epsilon(1e-13));
  }
}

TEST_CASE("t quantiles are odd in p − 1/2 and zero at the median", "[stats]") {
  for (const double degrees_of_freedom : {0.3, 1.0, 4.0, 29.0, 5000.0, 1e6}) {
    INFO("df " << degrees_of_freedom);
    CHECK(student_t_quantile(0.5, degrees_of_freedom) == 0.0);
    // p and 1 − p both exact in binary, so the two quantiles must be exact negatives of each other.
    for (const double p : {0.0625, 0.25, 0.375, 0.4375}) {
      CHECK(student_t_quantile(1.0 - p, degrees_of_freedom) == -student_t_quantile(p, degrees_of_freedom));
      CHECK(student_t_quantile(p, degrees_of_freedom) < 0.0);
    }
  }
}

TEST_CASE("a t quantile beyond the range of double is infinite", "[stats]") {
  // With 0.1 degrees of freedom, P(T < t) ~ |t|^-0.1: p = 1e-40 needs |t| near 1e400.
  CHECK(student_t_quantile(1e-40, 0.1) == -infinity);
  CHECK(student_t_quantile(1.0 - 1e-16, 0.05) == infinity);
}

TEST_CASE("t quantiles reject p outside (0, 1) and degrees of freedom that are not finite and positive", "[stats]") {
  for (const double p : {0.0, 1.0, -0.1, 1.5, not_a_number})
    CHECK_THROWS_AS(student_t_quantile(p, 5.0), std::invalid_argument);
  for (const double degrees_of_freedom : {0.0, -1.0, not_a_number, infinity}) {
    CHECK_THROWS_AS(student_t_quantile(0.975, degrees_of_freedom), std::invalid_argument);
  }
}

TEST_CASE("a summary gives the mean, the sample standard deviation (n − 1), min and max", "[stats]") {
  // numpy: x=np.array([0.93, 0.96, 0.9, 1.0, 0.9666666666666667]); x.mean(), x.std(ddof=1)
  const std::vector<double> values = {0.93, 0.96, 0.9, 1.0, 0.9666666666666667};
  const auto summary = summarize(values);
  CHECK(summary.n == 5);
  CHECK(summary.mean == Approx(0.9513333333333334).epsilon(1e-15));
  CHECK(summary.std == Approx(0.037976600983002956).epsilon(1e-14));
  CHECK(summary.min == 0.9);
  CHECK(summary.max == 1.0);
}

TEST_CASE("a summary keeps its digits when the values share a large offset", "[stats]") {
  // E[x²] − E[x]² would return noise here: x² ≈ 1e18 carries an ulp of 128.
  const std::vector<double> values = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
  const auto summary = summarize(values);
  CHECK(summary.mean == 1e9 + 10);
  CHECK(summary.std == Approx(std::sqrt(30.0)).epsilon(1e-15));
}

TEST_CASE("a summary of one value has no standard deviation, and of none has nothing", "[stats]") {
  const std::vector<double> one = {0.93};
  const auto single = summarize(one);
  CHECK(single.n == 1);
  CHECK(single.mean == 0.93);
  CHECK(single.min == 0.93);
  CHECK(single.max == 0.93);
  CHECK(std::isnan(single.std));

  const auto empty = summarize({});
  CHECK(empty.n == 0);
  CHECK(std::isnan(empty.mean));
  CHECK(std::isnan(empty.std));
  CHECK(std::isnan(empty.min));
  CHECK(std::isnan(empty.max));
}

TEST_CASE("a NaN among the values makes every statistic of the summary NaN", "[stats]") {
  const std::vector<double> values = {0.9, not_a_number, 0.95};
  const auto summary = summarize(values);
  CHECK(summary.n == 3);
  CHECK(std::isnan(summary.mean));
  CHECK(std::isnan(summary.std));
  CHECK(std::isnan(summary.min));
  CHECK(std::isnan(summary.max));
}

TEST_CASE("the paired difference matches scipy's ttest_rel interval", "[stats]") {
  const auto difference = paired_difference(bn_accuracy, no_bn_accuracy);
  CHECK(difference.n == 8);
  CHECK(difference.dropped == 0);
  CHECK(difference.confidence == 0.95);
  CHECK(difference.mean == Approx(accuracy_difference_mean).epsilon(1e-13));
  CHECK(difference.std == Approx(accuracy_difference_std).epsilon(1e-13));
  CHECK(difference.ci_low == Approx(accuracy_interval_95_low).epsilon(0).margin(interval_margin));
  CHECK(difference.ci_high == Approx(accuracy_interval_95_high).epsilon(0).margin(interval_margin));

  const auto at_99 = paired_difference(bn_accuracy, no_bn_accuracy, 0.99);
  CHECK(at_99.confidence == 0.99);
  CHECK(at_99.ci_low == Approx(accuracy_interval_99_low).epsilon(0).margin(interval_margin));
  CHECK(at_99.ci_high == Approx(accuracy_interval_99_high).epsilon(0).margin(interval_margin));
}

TEST_CASE("the paired interval excludes zero above, below, or not at all", "[stats]") {
  // The 95% interval lies above zero; swapping the variants mirrors it below; at 99% it straddles zero.
  CHECK(paired_difference(bn_accuracy, no_bn_accuracy).excludes_zero());
  const auto swapped = paired_difference(no_bn_accuracy, bn_accuracy);
  CHECK(swapped.ci_high < 0.0);
  CHECK(swapped.excludes_zero());
  CHECK_FALSE(paired_difference(bn_accuracy, no_bn_accuracy, 0.99).excludes_zero());

  // scipy: bn_loss − no_bn_loss has mean −0.002 and interval (−0.014662537912333282, 0.010662537912333285).
  const std::vector<double> bn_loss = {0.081, 0.112, 0.064, 0.095, 0.120};
  const std::vector<double> no_bn_loss = {0.090, 0.101, 0.072, 0.088, 0.131};
  const auto loss = paired_difference(bn_loss, no_bn_loss);
  CHECK(loss.ci_low == Approx(-0.014662537912333282).epsilon(0).margin(interval_margin));
  CHECK(loss.ci_high == Approx(0.010662537912333285).epsilon(0).margin(interval_margin));
  CHECK_FALSE(loss.excludes_zero());
}

TEST_CASE("pairs with a non-finite value are dropped and counted", "[stats]") {
  std::vector<double> bn = bn_accuracy;
  std::vector<double> no_bn = no_bn_accuracy;
  // A diverged bn run, a failed no_bn run and an infinite loss: three seeds lost, the other eight unchanged.
  bn.insert(bn.begin() + 2, not_a_number);
  no_bn.insert(no_bn.begin() + 2, 0.95);
  bn.push_back(0.9);
  no_bn.push_back(not_a_number);
  bn.insert(bn.begin(), infinity);
  no_bn.insert(no_bn.begin(), 0.9);

  const auto difference = paired_difference(bn, no_bn);
  const auto clean = paired_difference(bn_accuracy, no_bn_accuracy);
  CHECK(difference.n == 8);
  CHECK(difference.dropped == 3);
  CHECK(difference.mean == clean.mean);
  CHECK(difference.std == clean.std);
  CHECK(difference.ci_low == clean.ci_low);
  CHECK(difference.ci_high == clean.ci_high);
}

TEST_CASE("a paired difference of fewer than two pairs has no interval", "[stats]") {
  const std::vector<double> bn = {0.97, not_a_number};
  const std::vector<double> no_bn = {0.93, 0.95};
  const auto difference = paired_difference(bn, no_bn);
  CHECK(difference.n == 1);
  CHECK(difference.dropped == 1);
  CHECK(difference.mean == Approx(0.04).epsilon(1e-14));
  CHECK(std::isnan(difference.std));
  CHECK(std::isnan(difference.ci_low));
  CHECK(std::isnan(difference.ci_high));
  CHECK_FALSE(difference.excludes_zero());

  const auto none = paired_difference({}, {});
  CHECK(none.n == 0);
  CHECK(std::isnan(none.mean));
  CHECK_FALSE(none.excludes_zero());
}

TEST_CASE("a paired difference rejects series of different lengths and a confidence outside (0, 1)", "[stats]") {
  const std::vector<double> three = {0.9, 0.95, 0.97};
  const std::vector<double> two = {0.9, 0.95};
  CHECK_THROWS_AS(paired_difference(three, two), std::invalid_argument);
  for (const double confidence : {0.0, 1.0, 95.0, not_a_number}) {
    CHECK_THROWS_AS(paired_difference(two, two, confidence), std::invalid_argument);
  }
}

TEST_CASE("the corrected resampled interval widens the paired one by sqrt(1/J + n_test/n_train) over 1/sqrt(J)",
          "[stats]") {
  // By hand: d = 0.1, 0, 0.1, 0.1 → mean 0.075; squared deviations 3·0.025² + 0.075² = 0.0075, / 3 = 0.0025,
  // std 0.05. J = 4 resamples of 10-fold cross-validation: n_test/n_train = 1/9. t(0.975, 3) = 3.182446305284263
  // (scipy). Corrected half width = 3.182446305284263 · 0.05 · sqrt(1/4 + 1/9) = 0.09562061112594447; the
  // uncorrected one, · 0.05 / sqrt(4), 0.07956115763210658.
  const std::vector<double> a = {0.9, 0.8, 1.0, 0.7};
  const std::vector<double> b = {0.8, 0.8, 0.9, 0.6};
  const auto corrected = corrected_paired_difference(a, b, 1.0 / 9.0);
  CHECK(corrected.n == 4);
  CHECK(corrected.mean == Approx(0.075).epsilon(1e-14));
  CHECK(corrected.std == Approx(0.05).epsilon(1e-13));
  CHECK(corrected.ci_high - corrected.mean == Approx(0.09562061112594447).epsilon(1e-12));
  CHECK(corrected.mean - corrected.ci_low == Approx(0.09562061112594447).epsilon(1e-12));
  CHECK(corrected.test_to_train_ratio == 1.0 / 9.0);
  CHECK_FALSE(corrected.excludes_zero());  // −0.0206 … 0.1706
  const auto plain = paired_difference(a, b);
  CHECK(plain.ci_high - plain.mean == Approx(0.07956115763210658).epsilon(1e-12));
  CHECK(plain.ci_low > 0.0 - 0.005);  // −0.0046: the optimistic interval nearly excludes zero
  const auto zero_ratio = corrected_paired_difference(a, b, 0.0);
  CHECK(zero_ratio.ci_low == plain.ci_low);  // the same bits as the plain interval
  CHECK(zero_ratio.ci_high == plain.ci_high);
  CHECK_THROWS_AS(corrected_paired_difference(a, b, -0.1), std::invalid_argument);
  CHECK_THROWS_AS(corrected_paired_difference(a, b, std::numeric_limits<double>::infinity()), std::invalid_argument);
}
