#include "results/metrics.h"

#include <limits>

namespace bnrun::results {

namespace {

constexpr double no_value = std::numeric_limits<double>::quiet_NaN();

double test_accuracy(const ArmRecord& arm) {
  return arm.result.test ? arm.result.test->accuracy : no_value;
}

double test_loss(const ArmRecord& arm) {
  return arm.result.test ? arm.result.test->loss : no_value;
}

// The mean over the evaluations taken during training (training.evaluate_every_steps), the initial one excluded:
// the area under the paper's Figure 1 curve.
double mean_test_accuracy_during_training(const ArmRecord& arm) {
  double sum = 0.0;
  std::size_t count = 0;
  for (const auto& record : arm.result.step_history) {
    if (record.step == 0) continue;
    sum += record.test.accuracy;
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : no_value;
}

// Train minus validation accuracy in the last epoch: the regularization claim's measure.
double generalization_gap(const ArmRecord& arm) {
  if (arm.result.history.empty()) return no_value;
  const auto& last = arm.result.history.back();
  return last.train_accuracy - (last.validation ? last.validation->accuracy : no_value);
}

}  // namespace

const std::vector<MetricDefinition>& metric_definitions() {
  static const std::vector<MetricDefinition> definitions = {
      {Metric::test_accuracy, "test_accuracy", "test accuracy", true, 0.01, true, true, test_accuracy},
      {Metric::test_loss, "test_loss", "test loss", false, 0.02, false, true, test_loss},
      {Metric::mean_test_accuracy_during_training, "mean_test_accuracy_during_training",
       "mean test accuracy during training", true, 0.01, true, false, mean_test_accuracy_during_training},
      {Metric::generalization_gap, "generalization_gap", "generalization gap (train − validation accuracy)", false,
       0.01, false, false, generalization_gap},
  };
  return definitions;
}

const MetricDefinition& definition_of(Metric metric) {
  for (const auto& definition : metric_definitions())
    if (definition.id == metric) return definition;
  return metric_definitions().front();
}

std::optional<Metric> metric_from_key(std::string_view key) {
  for (const auto& definition : metric_definitions())
    if (definition.key == key) return definition.id;
  return std::nullopt;
}

std::vector<Metric> summary_metrics() {
  std::vector<Metric> metrics;
  for (const auto& definition : metric_definitions())
    if (definition.in_every_summary) metrics.push_back(definition.id);
  return metrics;
}

}  // namespace bnrun::results
