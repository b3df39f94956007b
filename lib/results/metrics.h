// The metrics bnrun compares arms by: each defined once, in this file, with its key (summary.json, claims), its label
// (tables, plots), which direction is better, and how it is read from an arm's record. Aggregation, tables,
// summary files, plots and claims loop over this list instead of naming metrics.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "results/record.h"

namespace bnrun::results {

enum class Metric {
  test_accuracy,
  test_loss,
  mean_test_accuracy_during_training,
  generalization_gap,
  test_macro_f1,
  test_balanced_accuracy,
  test_roc_auc,
  test_log_loss
};

struct MetricDefinition {
  Metric id;
  std::string_view key;    // "test_accuracy"
  std::string_view label;  // "test accuracy"
  bool higher_is_better;
  // Claims: an effect within ±equivalence_margin is "no effect"; a diverged arm scores chance (1 / classes) on an
  // accuracy of its model rather than counting as missing.
  double equivalence_margin;
  bool chance_when_diverged;
  // Shown for every study (tables, summary.json/csv, plots); the others are asked for by claims.
  bool in_every_summary;
  // The value in an arm's record; NaN when the arm has none (no test result, no step history, no validation).
  double (*of)(const ArmRecord& arm);
};

namespace metric_values {

inline constexpr double no_value = std::numeric_limits<double>::quiet_NaN();

inline double test_accuracy(const ArmRecord& arm) {
  return arm.result.test ? arm.result.test->accuracy : no_value;
}

inline double test_loss(const ArmRecord& arm) {
  return arm.result.test ? arm.result.test->loss : no_value;
}

// The mean over the evaluations taken during training (training.evaluate_every_steps), the initial one excluded:
// the area under the paper's Figure 1 curve.
inline double mean_test_accuracy_during_training(const ArmRecord& arm) {
  double sum = 0.0;
  std::size_t count = 0;
  for (const auto& record : arm.result.step_history) {
    if (record.step == 0) continue;
    sum += record.test.accuracy;
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : no_value;
}

// The test split's classification metrics (stats/classification.h defines them); NaN for records older than them.
inline double test_macro_f1(const ArmRecord& arm) {
  return arm.result.test_metrics ? arm.result.test_metrics->macro_f1 : no_value;
}

inline double test_balanced_accuracy(const ArmRecord& arm) {
  return arm.result.test_metrics ? arm.result.test_metrics->balanced_accuracy : no_value;
}

// NaN also when a class has no test row (ROC-AUC is undefined then).
inline double test_roc_auc(const ArmRecord& arm) {
  return arm.result.test_metrics ? arm.result.test_metrics->roc_auc : no_value;
}

inline double test_log_loss(const ArmRecord& arm) {
  return arm.result.test_metrics ? arm.result.test_metrics->log_loss : no_value;
}

// Train minus validation accuracy in the last epoch: the regularization claim's measure.
inline double generalization_gap(const ArmRecord& arm) {
  if (arm.result.history.empty()) return no_value;
  const auto& last = arm.result.history.back();
  return last.train_accuracy - (last.validation ? last.validation->accuracy : no_value);
}

}  // namespace metric_values

// Every metric, in table order. A new metric is a value of Metric, its function above and its line here.
inline const std::vector<MetricDefinition>& metric_definitions() {
  using namespace metric_values;
  static const std::vector<MetricDefinition> definitions = {
      {Metric::test_accuracy, "test_accuracy", "test accuracy", true, 0.01, true, true, test_accuracy},
      {Metric::test_loss, "test_loss", "test loss", false, 0.02, false, true, test_loss},
      {Metric::mean_test_accuracy_during_training, "mean_test_accuracy_during_training",
       "mean test accuracy during training", true, 0.01, true, false, mean_test_accuracy_during_training},
      {Metric::generalization_gap, "generalization_gap", "generalization gap (train − validation accuracy)", false,
       0.01, false, false, generalization_gap},
      // Balanced accuracy's chance is 1 / classes, as accuracy's; macro-F1's and ROC-AUC's are not, so a diverged
      // arm has no value for them.
      {Metric::test_macro_f1, "test_macro_f1", "test macro-F1", true, 0.01, false, false, test_macro_f1},
      {Metric::test_balanced_accuracy, "test_balanced_accuracy", "test balanced accuracy", true, 0.01, true, false,
       test_balanced_accuracy},
      {Metric::test_roc_auc, "test_roc_auc", "test ROC-AUC", true, 0.01, false, false, test_roc_auc},
      {Metric::test_log_loss, "test_log_loss", "test log loss", false, 0.02, false, false, test_log_loss},
  };
  return definitions;
}

const MetricDefinition& definition_of(Metric metric);
std::optional<Metric> metric_from_key(std::string_view key);
// The metrics of every summary, in table order: test accuracy, test loss; then `shown_too` (report.metric) when it
// is not one of them.
std::vector<Metric> summary_metrics(std::optional<Metric> shown_too = std::nullopt);

}  // namespace bnrun::results
