// Text tables for people at a terminal: the bn / no_bn comparison and the Keras-style model summary.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nn/model.h"
#include "report/results.h"
#include "results/metrics.h"
#include "results/record.h"

namespace bnrun::report {

// Header line (data and setup), the aligned comparison table, and each arm's difference from the `reference` arm
// (none when it is empty or did not finish). `metric` (report.metric) adds a column of that metric after test
// accuracy and loss, and its difference to each difference line; test accuracy and loss are always shown.
std::string comparison_table(const results::RunRecord& record, const std::string& reference,
                             std::optional<results::Metric> metric = std::nullopt);

// Layer, output shape, parameters (trainable / non-trainable), and totals, as Keras' model.summary().
std::string summary_table(const std::string& title, const std::vector<nn::LayerSummary>& layers, std::size_t inputs);

// Rows of cells as aligned columns (three spaces apart): numbers right-aligned, the columns listed in
// `left_aligned` left-aligned. Widths count characters, not bytes, so "±" and "−" line up.
std::string align_columns(const std::vector<std::vector<std::string>>& rows,
                          const std::vector<std::size_t>& left_aligned);

// A duration for people: "4.6 ms", "230 ms", "12.34 s", "3.5 min".
std::string format_seconds(double seconds);

// 12345 → "12,345".
std::string with_thousands(std::size_t value);

}  // namespace bnrun::report
