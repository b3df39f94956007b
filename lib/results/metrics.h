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
  test_log_loss,
  test_rmse,
  test_mae,
  test_r2
};

// Which runs a metric has a value for: classification (class labels) or regression (a numeric target) or both.
enum class MetricTask { classification, regression, both };

struct MetricDefinition {
  Metric id;
  std::string_view key;    // "test_accuracy"
  std::string_view label;  // "test accuracy"
  bool higher_is_better;
  MetricTask task;
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

// The test split's regression metrics, in the target's units (stats/regression.h); NaN for a classification run.
inline double test_rmse(const ArmRecord& arm) {
  return arm.result.test_regression ? arm.result.test_regression->rmse : no_value;
}

inline double test_mae(const ArmRecord& arm) {
  return arm.result.test_regression ? arm.result.test_regression->mae : no_value;
}

inline double test_r2(const ArmRecord& arm) {
  return arm.result.test_regression ? arm.result.test_regression->r2 : no_value;
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
  constexpr auto classification = MetricTask::classification;
  constexpr auto regression = MetricTask::regression;
  static const std::vector<MetricDefinition> definitions = {
      {Metric::test_accuracy, "test_accuracy", "test accuracy", true, classification, 0.01, true, true,
       test_accuracy},
      {Metric::test_loss, "test_loss", "test loss", false, MetricTask::both, 0.02, false, true, test_loss},
      {Metric::mean_test_accuracy_during_training, "mean_test_accuracy_during_training",
       "mean test accuracy during training", true, classification, 0.01, true, false,
       mean_test_accuracy_during_training},
      {Metric::generalization_gap, "generalization_gap", "generalization gap (train − validation accuracy)", false,
       classification, 0.01, false, false, generalization_gap},
      // Balanced accuracy's chance is 1 / classes, as accuracy's; macro-F1's and ROC-AUC's are not, so a diverged
      // arm has no value for them.
      {Metric::test_macro_f1, "test_macro_f1", "test macro-F1", true, classification, 0.01, false, false,
       test_macro_f1},
      {Metric::test_balanced_accuracy, "test_balanced_accuracy", "test balanced accuracy", true, classification,
       0.01, true, false, test_balanced_accuracy},
      {Metric::test_roc_auc, "test_roc_auc", "test ROC-AUC", true, classification, 0.01, false, false, test_roc_auc},
      {Metric::test_log_loss, "test_log_loss", "test log loss", false, classification, 0.02, false, false,
       test_log_loss},
      // In the target's units, so a claim's margin for them is the claim's own to give (claims.h); R²'s is 0.01.
      {Metric::test_rmse, "test_rmse", "test RMSE", false, regression, 0.0, false, true, test_rmse},
      {Metric::test_mae, "test_mae", "test MAE", false, regression, 0.0, false, true, test_mae},
      {Metric::test_r2, "test_r2", "test R²", true, regression, 0.01, false, true, test_r2},
  };
  return definitions;
}

const MetricDefinition& definition_of(Metric metric);
std::optional<Metric> metric_from_key(std::string_view key);
// Whether `metric` has a value for a classification run (regression false) or a regression run (true).
bool applies_to(Metric metric, bool regression);

// The metrics of every summary, in table order — classification: test accuracy, test loss; regression: test
// RMSE, test loss, test MAE, test R² — then `shown_too` (report.metric) when it is not one of them.
std::vector<Metric> summary_metrics(bool regression = false, std::optional<Metric> shown_too = std::nullopt);

// The metric a table leads with and pairs arms by: test accuracy, or test RMSE for regression.
inline Metric primary_metric(bool regression) {
  return regression ? Metric::test_rmse : Metric::test_accuracy;
}

}  // namespace bnrun::results
