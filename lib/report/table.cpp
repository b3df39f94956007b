#include "report/table.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <optional>

namespace bnrun::report {

std::string format_seconds(double seconds) {
  if (seconds < 0.01) return fmt::format("{:.1f} ms", seconds * 1000.0);
  if (seconds < 1.0) return fmt::format("{:.0f} ms", seconds * 1000.0);
  if (seconds < 120.0) return fmt::format("{:.2f} s", seconds);
  return fmt::format("{:.1f} min", seconds / 60.0);
}

namespace {

// Characters in UTF-8 text: every byte but the continuation bytes (10xxxxxx).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string align_columns(const std::vector<std::vector<std::string>>& rows,
                          const std::vector<std::size_t>& left_aligned) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool left = std::find(left_aligned.begin(), left_aligned.end(), c) != left_aligned.end();
      const std::string padding(widths[c] - display_width(row[c]), ' ');
      line += c == 0 ? "" : "   ";
      line += left ? row[c] + padding : padding + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

std::string with_thousands(std::size_t value) {
  const std::string digits = std::to_string(value);
  std::string result;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result += ',';
    result += digits[i];
  }
  return result;
}

namespace {

std::string fixed(double value) {
  return std::isfinite(value) ? fmt::format("{:.4f}", value) : std::string("-");
}

// What an arm without a test result shows in place of its headline number.
std::string status_text(const train::RunResult& result) {
  return result.status == train::RunStatus::diverged ? fmt::format("diverged@{}", result.diverged_epoch)
                                                     : std::string(train::status_name(result.status));
}

// A regression run's table: RMSE, MAE and R² in the target's units, then the loss (on the standardized target),
// and each arm's differences from the reference arm.
std::string regression_comparison(const results::RunRecord& record, const std::string& reference,
                                  std::optional<results::Metric> metric, std::string text) {
  std::vector<results::Metric> columns = {results::Metric::test_rmse, results::Metric::test_mae,
                                          results::Metric::test_r2, results::Metric::test_loss};
  if (metric && std::find(columns.begin(), columns.end(), *metric) == columns.end()) columns.push_back(*metric);
  std::vector<std::string> header = {"variant"};
  for (const auto column : columns) header.emplace_back(results::definition_of(column).label);
  for (const char* rest : {"best val loss", "epochs", "params", "train time"}) header.emplace_back(rest);
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& arm : record.arms) {
    const train::RunResult& result = arm.result;
    std::vector<std::string> row = {arm.arm};
    for (const auto column : columns) row.push_back(fixed(results::definition_of(column).of(arm)));
    if (!result.test) row[1] = status_text(result);
    const auto best_loss = results::best_validation_loss(result);
    row.push_back(best_loss ? fixed(*best_loss) : "-");
    row.push_back(std::to_string(result.history.size()));
    row.push_back(with_thousands(result.trainable_parameters + result.non_trainable_parameters));
    row.push_back(format_seconds(result.train_seconds));
    rows.push_back(std::move(row));
  }
  text += align_columns(rows, {0});
  text += "(RMSE, MAE and R² in the target's units; the loss is on the standardized target)\n";
  const results::ArmRecord* paired = record.arm(reference);
  if (!paired || !paired->result.test) return text;
  std::string differences;
  for (const auto& arm : record.arms) {
    if (arm.arm == reference || !arm.result.test) continue;
    std::vector<std::string> parts;
    for (const auto column : columns) {
      const auto& definition = results::definition_of(column);
      parts.push_back(fmt::format("{:+.4f} {}", definition.of(arm) - definition.of(*paired), definition.label));
    }
    differences += fmt::format("{} - {}: {}\n", arm.arm, reference, fmt::join(parts, ", "));
  }
  if (!differences.empty()) text += "\n" + differences;
  return text;
}

}  // namespace

std::string comparison_table(const results::RunRecord& record, const std::string& reference,
                             std::optional<results::Metric> metric) {
  const results::DataFacts& data = record.data;
  const int threads = record.environment.threads;
  const std::size_t test_rows = data.test_rows;
  std::string text = fmt::format(
      "{}: {} train / {} validation / {} test rows, {} features, {}; seed {}, {} thread{}\n\n",
      record.config.value("name", ""), data.train_rows, data.validation_rows, test_rows, data.features.size(),
      data.regression() ? "a numeric target" : fmt::format("{} classes", data.classes.size()),
      record.arms.empty() ? 0 : record.arms.front().seed, threads, threads == 1 ? "" : "s");
  if (results::is_regression(record)) return regression_comparison(record, reference, metric, text);
  // Test accuracy and loss are columns already.
  if (metric == results::Metric::test_accuracy || metric == results::Metric::test_loss) metric.reset();
  const results::MetricDefinition* extra = metric ? &results::definition_of(*metric) : nullptr;
  std::vector<std::vector<std::string>> rows = {
      {"variant", "test acc", "test loss", "best val acc", "epochs", "params", "train time"}};
  if (extra) rows.front().insert(rows.front().begin() + 3, std::string(extra->label));
  for (const auto& arm : record.arms) {
    const train::RunResult& result = arm.result;
    const auto best = results::best_validation_accuracy(result);
    const bool has_accuracy = result.test && std::isfinite(result.test->accuracy);
    rows.push_back({arm.arm, has_accuracy ? fixed(result.test->accuracy) : status_text(result),
                    result.test ? fixed(result.test->loss) : "-", best ? fixed(*best) : "-",
                    std::to_string(result.history.size()),
                    with_thousands(result.trainable_parameters + result.non_trainable_parameters),
                    format_seconds(result.train_seconds)});
    if (extra) rows.back().insert(rows.back().begin() + 3, fixed(extra->of(arm)));
  }
  text += align_columns(rows, {0});
  for (const auto& arm : record.arms) {
    const train::RunResult& result = arm.result;
    if (result.stopped_epoch > 0 && result.status == train::RunStatus::ok)
      text += fmt::format("{}: early stopping ended training at epoch {} (best epoch {}{})\n", arm.arm,
                          result.stopped_epoch, result.best_epoch,
                          result.restored_best ? ", whose weights were restored" : "");
  }
  const results::ArmRecord* paired = record.arm(reference);
  if (!paired || !paired->result.test || !std::isfinite(paired->result.test->accuracy) || test_rows == 0) return text;
  std::string differences;
  for (const auto& arm : record.arms) {
    if (arm.arm == reference || !arm.result.test || !std::isfinite(arm.result.test->accuracy)) continue;
    const double difference = arm.result.test->accuracy - paired->result.test->accuracy;
    const double loss_difference = arm.result.test->loss - paired->result.test->loss;
    differences += fmt::format("{} - {}: {:+.4f} test accuracy ({:+.0f} of {} test rows), {:+.4f} test loss",
                               arm.arm, reference, difference, difference * static_cast<double>(test_rows),
                               test_rows, loss_difference);
    if (extra) {
      const double extra_difference = extra->of(arm) - extra->of(*paired);
      differences += std::isfinite(extra_difference) ? fmt::format(", {:+.4f} {}", extra_difference, extra->label)
                                                     : fmt::format(", no {} difference", extra->label);
    }
    differences += "\n";
  }
  if (!differences.empty()) text += "\n" + differences;
  return text;
}

std::string summary_table(const std::string& title, const std::vector<nn::LayerSummary>& layers, std::size_t inputs) {
  std::vector<std::vector<std::string>> rows = {
      {"layer (type)", "output shape", "params", "trainable", "non-trainable", "settings"}};
  rows.push_back({"input", fmt::format("(None, {})", inputs), "0", "0", "0", ""});
  std::size_t trainable = 0;
  std::size_t non_trainable = 0;
  for (const auto& layer : layers) {
    rows.push_back({fmt::format("{} ({})", layer.name, layer.kind), fmt::format("(None, {})", layer.output_width),
                    with_thousands(layer.trainable + layer.non_trainable), with_thousands(layer.trainable),
                    with_thousands(layer.non_trainable), layer.detail});
    trainable += layer.trainable;
    non_trainable += layer.non_trainable;
  }
  std::string text = title + "\n" + align_columns(rows, {0, 1, 5});
  text +=
      fmt::format("total params: {}  (trainable: {}, non-trainable: {})\n", with_thousands(trainable + non_trainable),
                  with_thousands(trainable), with_thousands(non_trainable));
  return text;
}

}  // namespace bnrun::report
