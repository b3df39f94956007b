#include "study/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace bnrun::study {

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Mean, min and max over seeds of one per-epoch (or per-step) series, point by point (seeds that stopped early
// simply end). `points` gives an arm's (x, value) pairs.
template <class Points>
Band band_over(const std::vector<const results::ArmRecord*>& arms, Points&& points) {
  std::map<std::int64_t, std::vector<double>> by_x;
  for (const auto* arm : arms)
    for (const auto& [x, value] : points(*arm))
      if (std::isfinite(value)) by_x[x].push_back(value);
  Band band;
  for (const auto& [x, values] : by_x) {
    double sum = 0.0;
    for (const double value : values) sum += value;
    band.x.push_back(static_cast<double>(x));
    band.mean.push_back(sum / static_cast<double>(values.size()));
    band.low.push_back(*std::min_element(values.begin(), values.end()));
    band.high.push_back(*std::max_element(values.begin(), values.end()));
  }
  return band;
}

// One column of the per-epoch history as (epoch, value) pairs.
template <class Column>
auto epochs_of(Column&& column) {
  return [column](const results::ArmRecord& arm) {
    std::vector<std::pair<std::int64_t, double>> points;
    for (const auto& epoch : arm.result.history) points.emplace_back(epoch.epoch, column(epoch));
    return points;
  };
}

constexpr double no_value = not_a_number;

}  // namespace

const results::ArmRecord* arm_record(const RunOutcome& outcome, const std::string& arm) {
  if (!has_record(outcome)) return nullptr;
  return outcome.record.arm(arm);
}

const stats::Summary& ArmSummary::summary(results::Metric metric) const {
  return summaries[static_cast<std::size_t>(std::find(metrics.begin(), metrics.end(), metric) - metrics.begin())];
}

const std::vector<double>& ArmSummary::values_of(results::Metric metric) const {
  return values[static_cast<std::size_t>(std::find(metrics.begin(), metrics.end(), metric) - metrics.begin())];
}

const stats::PairedDifference& ArmDifference::of(results::Metric metric) const {
  return by_metric[static_cast<std::size_t>(std::find(metrics.begin(), metrics.end(), metric) - metrics.begin())];
}

std::vector<std::string> plan_arms(const Plan& plan) {
  std::vector<std::string> arms;
  for (const auto& run : plan.runs)
    for (const auto& arm : run.config.experiment.arms)
      if (std::find(arms.begin(), arms.end(), arm.name) == arms.end()) arms.push_back(arm.name);
  return arms;
}

std::string plan_reference(const Plan& plan) {
  return plan.runs.empty() ? "" : plan.runs.front().config.experiment.reference;
}

std::vector<results::Metric> plan_summary_metrics(const Plan& plan) {
  if (plan.runs.empty()) return results::summary_metrics();
  const config::Config& config = plan.runs.front().config;
  return results::summary_metrics(config.dataset.numeric_target, config.report.metric);
}

stats::Summary summarize_finite(const std::vector<double>& values) {
  std::vector<double> finite;
  for (const double value : values)
    if (std::isfinite(value)) finite.push_back(value);
  return stats::summarize(finite);
}

double test_to_train_ratio(const PlannedRun& run) {
  const std::size_t folds = run.config.dataset.folds;
  return folds >= 2 ? 1.0 / static_cast<double>(folds - 1) : 0.0;
}

std::vector<GroupSummary> summarize_groups(const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  const auto arms = plan_arms(plan);
  const auto metrics = plan_summary_metrics(plan);
  std::vector<GroupSummary> groups(plan.group_count);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g].group = g;
    for (const auto& arm : arms) {
      ArmSummary summary;
      summary.arm = arm;
      summary.metrics = metrics;
      summary.values.resize(metrics.size());
      groups[g].arms.push_back(std::move(summary));
    }
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    GroupSummary& group = groups[run.group];
    if (group.runs.empty()) group.settings = run.settings;
    group.runs.push_back(i);
    group.seeds.push_back(run.seed);
    for (auto& summary : group.arms) {
      const auto* arm = arm_record(outcomes[i], summary.arm);
      if (!arm)
        ++(outcomes[i].state == RunState::not_run ? summary.not_run : summary.failed);
      else if (arm->result.status == train::RunStatus::ok)
        ++summary.ok;
      else if (arm->result.status == train::RunStatus::diverged)
        ++summary.diverged;
      else
        ++summary.interrupted;
      for (std::size_t m = 0; m < metrics.size(); ++m)
        summary.values[m].push_back(arm ? results::definition_of(metrics[m]).of(*arm) : not_a_number);
    }
  }
  const std::string reference = plan_reference(plan);
  for (auto& group : groups) {
    for (auto& summary : group.arms)
      for (const auto& values : summary.values) summary.summaries.push_back(summarize_finite(values));
    const auto reference_arm = std::find_if(group.arms.begin(), group.arms.end(),
                                            [&](const ArmSummary& a) { return a.arm == reference; });
    if (reference_arm == group.arms.end()) continue;
    for (const auto& summary : group.arms) {
      if (summary.arm == reference) continue;
      ArmDifference difference{summary.arm, reference, {}, metrics};
      for (std::size_t m = 0; m < metrics.size(); ++m)
        difference.by_metric.push_back(stats::corrected_paired_difference(
            summary.values[m], reference_arm->values[m],
            group.runs.empty() ? 0.0 : test_to_train_ratio(plan.runs[group.runs.front()])));
      group.differences.push_back(std::move(difference));
    }
  }
  return groups;
}

std::vector<ArmCurves> group_curves(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                    const GroupSummary& group) {
  std::vector<ArmCurves> curves;
  for (const auto& variant : plan_arms(plan)) {
    std::vector<const results::ArmRecord*> arms;
    for (const std::size_t i : group.runs)
      if (const auto* arm = arm_record(outcomes[i], variant)) arms.push_back(arm);
    const auto validation = [](auto value) {
      return [value](const train::EpochRecord& epoch) { return epoch.validation ? value(*epoch.validation) : no_value; };
    };
    const auto test_accuracy_by_step = [](const results::ArmRecord& arm) {
      std::vector<std::pair<std::int64_t, double>> points;
      for (const auto& step : arm.result.step_history) points.emplace_back(step.step, step.test.accuracy);
      return points;
    };
    curves.push_back(
        {variant, band_over(arms, epochs_of([](const train::EpochRecord& e) { return e.train_loss; })),
         band_over(arms, epochs_of(validation([](const train::Evaluation& v) { return v.loss; }))),
         band_over(arms, epochs_of([](const train::EpochRecord& e) { return e.train_accuracy; })),
         band_over(arms, epochs_of(validation([](const train::Evaluation& v) { return v.accuracy; }))),
         band_over(arms, test_accuracy_by_step)});
  }
  return curves;
}

}  // namespace bnrun::study
