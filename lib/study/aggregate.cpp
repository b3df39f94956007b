#include "study/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace bnrun::study {

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

stats::Summary summarize_finite(const std::vector<double>& values) {
  std::vector<double> finite;
  for (const double value : values)
    if (std::isfinite(value)) finite.push_back(value);
  return stats::summarize(finite);
}

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
  if (outcome.state == RunState::failed) return nullptr;
  return outcome.record.arm(arm);
}

std::vector<std::string> plan_variants(const Plan& plan) {
  std::vector<std::string> variants;
  for (const auto& run : plan.runs)
    for (const auto variant : run.config.experiment.variants) {
      const std::string name(config::variant_name(variant));
      if (std::find(variants.begin(), variants.end(), name) == variants.end()) variants.push_back(name);
    }
  return variants;
}

std::vector<GroupSummary> summarize_groups(const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  const auto variants = plan_variants(plan);
  std::vector<GroupSummary> groups(plan.group_count);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g].group = g;
    for (const auto& variant : variants) groups[g].variants.push_back({variant, 0, 0, 0, 0, {}, {}, {}, {}});
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    GroupSummary& group = groups[run.group];
    if (group.runs.empty()) group.settings = run.settings;
    group.runs.push_back(i);
    group.seeds.push_back(run.seed);
    for (auto& variant : group.variants) {
      const auto* arm = arm_record(outcomes[i], variant.variant);
      if (!arm)
        ++variant.failed;
      else if (arm->result.status == train::RunStatus::ok)
        ++variant.ok;
      else if (arm->result.status == train::RunStatus::diverged)
        ++variant.diverged;
      else
        ++variant.interrupted;
      const auto& test = arm ? arm->result.test : std::nullopt;
      variant.accuracy.push_back(test ? test->accuracy : not_a_number);
      variant.loss.push_back(test ? test->loss : not_a_number);
    }
  }
  for (auto& group : groups) {
    for (auto& variant : group.variants) {
      variant.accuracy_summary = summarize_finite(variant.accuracy);
      variant.loss_summary = summarize_finite(variant.loss);
    }
    const auto bn = std::find_if(group.variants.begin(), group.variants.end(),
                                 [](const VariantSummary& v) { return v.variant == "bn"; });
    const auto no_bn = std::find_if(group.variants.begin(), group.variants.end(),
                                    [](const VariantSummary& v) { return v.variant == "no_bn"; });
    if (bn != group.variants.end() && no_bn != group.variants.end()) {
      group.accuracy_difference = stats::paired_difference(bn->accuracy, no_bn->accuracy);
      group.loss_difference = stats::paired_difference(bn->loss, no_bn->loss);
    }
  }
  return groups;
}

std::vector<VariantCurves> group_curves(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                        const GroupSummary& group) {
  std::vector<VariantCurves> curves;
  for (const auto& variant : plan_variants(plan)) {
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
