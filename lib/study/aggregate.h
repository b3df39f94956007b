// What a study's runs say together: per group of runs that differ only in the seed, each arm's metrics across seeds
// (n, mean ± std, min, max), each arm's paired difference against the reference arm over the seeds where both
// finished (with a 95 % Student-t interval), and learning curves as mean with a min–max band. The metrics are
// plan_summary_metrics(): test accuracy and loss, and the config's report.metric; everything is read from the
// runs' records, so finished, resumed and compared runs are treated alike.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/metrics.h"
#include "stats/summary.h"
#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

struct ArmSummary {
  std::string arm;
  // failed: the run did not produce a result; not_run: it never started (the session was interrupted first)
  std::size_t ok = 0, diverged = 0, interrupted = 0, failed = 0, not_run = 0;
  // Per summary metric (`metrics` order): one value per seed, in the group's seed order (NaN without a value),
  // and their summary over the finite ones.
  std::vector<results::Metric> metrics;
  std::vector<std::vector<double>> values;
  std::vector<stats::Summary> summaries;
  const stats::Summary& summary(results::Metric metric) const;
  const std::vector<double>& values_of(results::Metric metric) const;
};

// An arm − the reference arm, per summary metric, paired by run (seed, and fold when cross-validated) over the
// runs where both have a value; the interval is corrected for cross-validation (test_to_train_ratio).
struct ArmDifference {
  std::string arm;
  std::string reference;
  std::vector<stats::PairedDifference> by_metric;
  std::vector<results::Metric> metrics;  // by_metric's order
  const stats::PairedDifference& of(results::Metric metric) const;
};

struct GroupSummary {
  std::size_t group = 0;
  std::vector<Setting> settings;
  std::vector<std::uint64_t> seeds;
  std::vector<std::size_t> runs;  // indices into Plan::runs
  std::vector<ArmSummary> arms;
  std::vector<ArmDifference> differences;  // one per arm other than the reference, when the reference ran
};

// The arms the plan's runs train, in config order.
std::vector<std::string> plan_arms(const Plan& plan);
// The arm the others are paired against; empty when there is none.
std::string plan_reference(const Plan& plan);
// The metrics a study summarizes, in table order: test accuracy, test loss, and report.metric when it is another.
std::vector<results::Metric> plan_summary_metrics(const Plan& plan);

// For the Nadeau–Bengio corrected interval of a group's paired differences: n_test / n_train of the resamples its
// runs trained on — 1/(K − 1) for K-fold cross-validation, whose folds share training rows — and 0 (the usual
// paired interval) otherwise.
double test_to_train_ratio(const PlannedRun& run);

// The summary (n, mean ± std, min, max) of the finite values: NaN stands for a run without a value.
stats::Summary summarize_finite(const std::vector<double>& values);

std::vector<GroupSummary> summarize_groups(const Plan& plan, const std::vector<RunOutcome>& outcomes);

struct Band {
  std::vector<double> x, mean, low, high;  // low/high: the minimum and maximum across seeds
};

struct ArmCurves {
  std::string arm;
  Band train_loss, val_loss, train_accuracy, val_accuracy;  // val_*: empty without a validation split
  Band test_accuracy_by_step;  // x = optimizer steps; empty unless training.evaluate_every_steps
};

// Per-epoch curves of one group, one entry per arm.
std::vector<ArmCurves> group_curves(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                        const GroupSummary& group);

// The run's record of `arm`, or null when the run failed or did not train it.
const results::ArmRecord* arm_record(const RunOutcome& outcome, const std::string& arm);

}  // namespace bnrun::study
