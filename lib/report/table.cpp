#include "report/table.h"

#include <fmt/format.h>
#include <algorithm>

namespace bnrun::report {

namespace {

std::string format_seconds(double seconds) {
  if (seconds < 0.01) return fmt::format("{:.1f} ms", seconds * 1000.0);
  if (seconds < 1.0) return fmt::format("{:.0f} ms", seconds * 1000.0);
  if (seconds < 120.0) return fmt::format("{:.2f} s", seconds);
  return fmt::format("{:.1f} min", seconds / 60.0);
}

// A column-aligned table: numbers right-aligned, the columns listed in `left_aligned` (text) left-aligned.
std::string align(const std::vector<std::vector<std::string>>& rows, const std::vector<std::size_t>& left_aligned) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], row[c].size());
    }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool left = std::find(left_aligned.begin(), left_aligned.end(), c) != left_aligned.end();
      line += c == 0 ? "" : "   ";
      line += left ? fmt::format("{:<{}}", row[c], widths[c]) : fmt::format("{:>{}}", row[c], widths[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

}  // namespace

std::string with_thousands(std::size_t value) {
  const std::string digits = std::to_string(value);
  std::string result;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result += ',';
    result += digits[i];
  }
  return result;
}

std::string comparison_table(const ExperimentReport& report) {
  const data::PreparedData& data = report.data;
  std::string text =
      fmt::format("{}: {} train / {} validation / {} test rows, {} features, {} classes; seed {}, {} thread{}\n\n",
                  report.config.name, data.train.rows(), data.validation.rows(), data.test.rows(),
                  data.feature_names.size(), data.class_names.size(), report.config.training.seed,
                  report.environment.threads, report.environment.threads == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows = {
      {"variant", "test acc", "test loss", "best val acc", "epochs", "params", "train time"}};
  for (const auto& run : report.runs) {
    const train::RunResult& result = run.result;
    const auto best = best_validation_accuracy(result);
    const std::string status =
        result.status == train::RunStatus::ok ? "" : fmt::format("diverged@{}", result.diverged_epoch);
    rows.push_back({std::string(config::variant_name(run.variant)),
                    result.test ? fmt::format("{:.4f}", result.test->accuracy) : status,
                    result.test ? fmt::format("{:.4f}", result.test->loss) : "-",
                    best ? fmt::format("{:.4f}", *best) : "-", std::to_string(result.history.size()),
                    with_thousands(result.trainable_parameters + result.non_trainable_parameters),
                    format_seconds(result.train_seconds)});
  }
  text += align(rows, {0});
  const train::VariantRun* bn = nullptr;
  const train::VariantRun* no_bn = nullptr;
  for (const auto& run : report.runs) (run.variant == config::Variant::bn ? bn : no_bn) = &run;
  if (bn && no_bn && bn->result.test && no_bn->result.test) {
    const double difference = bn->result.test->accuracy - no_bn->result.test->accuracy;
    const double per_row = 1.0 / static_cast<double>(data.test.rows());
    text +=
        fmt::format("\nbn - no_bn: {:+.4f} test accuracy ({:+.0f} of {} test rows), {:+.4f} test loss\n", difference,
                    difference / per_row, data.test.rows(), bn->result.test->loss - no_bn->result.test->loss);
  }
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
  std::string text = title + "\n" + align(rows, {0, 1, 5});
  text +=
      fmt::format("total params: {}  (trainable: {}, non-trainable: {})\n", with_thousands(trainable + non_trainable),
                  with_thousands(trainable), with_thousands(non_trainable));
  return text;
}

}  // namespace bnrun::report
