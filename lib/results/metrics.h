// The metrics bnrun compares arms by: each defined once here, with its key (summary.json, claims), its label
// (tables, plots), which direction is better, and how it is read from an arm's record. Aggregation, tables,
// summary files, plots and claims loop over this list instead of naming metrics.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "results/record.h"

namespace bnrun::results {

enum class Metric { test_accuracy, test_loss, mean_test_accuracy_during_training, generalization_gap };

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

const std::vector<MetricDefinition>& metric_definitions();
const MetricDefinition& definition_of(Metric metric);
std::optional<Metric> metric_from_key(std::string_view key);
// The metrics of every summary, in table order: test accuracy, test loss.
std::vector<Metric> summary_metrics();

}  // namespace bnrun::results
