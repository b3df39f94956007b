// What a study's runs say together: per group of runs that differ only in the seed, each variant's test
// accuracy and loss across seeds (n, mean ± std, min, max), the paired difference bn − no_bn over the seeds where
// both finished (with a 95 % Student-t interval), and learning curves as mean with a min–max band.
// Everything is read from the runs' records, so finished, resumed and compared runs are treated alike.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stats/summary.h"
#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

struct VariantSummary {
  std::string variant;
  std::size_t ok = 0, diverged = 0, interrupted = 0, failed = 0;  // failed: the run did not produce a result
  std::vector<double> accuracy, loss;             // one per seed, in the group's seed order; NaN without a test result
  stats::Summary accuracy_summary, loss_summary;  // over the finite values
};

struct GroupSummary {
  std::size_t group = 0;
  std::vector<Setting> settings;
  std::vector<std::uint64_t> seeds;
  std::vector<std::size_t> runs;  // indices into Plan::runs
  std::vector<VariantSummary> variants;
  // bn − no_bn over the seeds where both have a test result; absent unless both variants ran.
  std::optional<stats::PairedDifference> accuracy_difference, loss_difference;
};

// The variants the plan's runs train, in config order.
std::vector<std::string> plan_variants(const Plan& plan);

std::vector<GroupSummary> summarize_groups(const Plan& plan, const std::vector<RunOutcome>& outcomes);

struct Band {
  std::vector<double> x, mean, low, high;  // low/high: the minimum and maximum across seeds
};

struct VariantCurves {
  std::string variant;
  Band train_loss, val_loss, train_accuracy, val_accuracy;  // val_*: empty without a validation split
  Band test_accuracy_by_step;  // x = optimizer steps; empty unless training.evaluate_every_steps
};

// Per-epoch curves of one group, one entry per variant.
std::vector<VariantCurves> group_curves(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                        const GroupSummary& group);

// The run's record of `arm`, or null when the run failed or did not train it.
const results::ArmRecord* arm_record(const RunOutcome& outcome, const std::string& arm);

}  // namespace bnrun::study
