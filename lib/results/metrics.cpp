#include "results/metrics.h"

#include <algorithm>

namespace bnrun::results {

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

bool applies_to(Metric metric, bool regression) {
  const MetricTask task = definition_of(metric).task;
  return task == MetricTask::both || task == (regression ? MetricTask::regression : MetricTask::classification);
}

std::vector<Metric> summary_metrics(bool regression, std::optional<Metric> shown_too) {
  std::vector<Metric> metrics;
  for (const auto& definition : metric_definitions())
    if (definition.in_every_summary && applies_to(definition.id, regression)) metrics.push_back(definition.id);
  // The primary metric first, as the tables show it.
  if (regression) std::rotate(metrics.begin(), metrics.begin() + 1, metrics.begin() + 2);
  if (shown_too && std::find(metrics.begin(), metrics.end(), *shown_too) == metrics.end()) metrics.push_back(*shown_too);
  return metrics;
}

}  // namespace bnrun::results
