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

std::vector<Metric> summary_metrics(std::optional<Metric> shown_too) {
  std::vector<Metric> metrics;
  for (const auto& definition : metric_definitions())
    if (definition.in_every_summary) metrics.push_back(definition.id);
  if (shown_too && std::find(metrics.begin(), metrics.end(), *shown_too) == metrics.end()) metrics.push_back(*shown_too);
  return metrics;
}

}  // namespace bnrun::results
