#include "report/table.h"

#include <fmt/format.h>
#include <algorithm>
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

std::string comparison_table(const nlohmann::ordered_json& results) {
  const auto& data = results["data"];
  const auto& config = results["config"];
  const int threads = results["environment"]["threads"].get<int>();
  const auto test_rows = data["test_rows"].get<std::size_t>();
  std::string text = fmt::format(
      "{}: {} train / {} validation / {} test rows, {} features, {} classes; seed {}, {} thread{}\n\n",
      config["name"].get<std::string>(), data["train_rows"].get<std::size_t>(),
      data["validation_rows"].get<std::size_t>(), test_rows, data["features"].size(), data["classes"].size(),
      config["training"]["seed"].get<std::uint64_t>(), threads, threads == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows = {
      {"variant", "test acc", "test loss", "best val acc", "epochs", "params", "train time"}};
  const nlohmann::ordered_json* bn = nullptr;
  const nlohmann::ordered_json* no_bn = nullptr;
  auto number = [](const nlohmann::ordered_json& object, const char* key) -> std::optional<double> {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::nullopt;
    return object[key].get<double>();
  };
  for (const auto& run : results["runs"]) {
    const std::string variant = run["variant"].get<std::string>();
    const std::string status = run["status"].get<std::string>();
    const auto accuracy = number(run["test"], "accuracy");
    const auto loss = number(run["test"], "loss");
    const auto best = number(run, "best_val_accuracy");
    const std::string problem =
        status == "diverged" ? fmt::format("diverged@{}", run["diverged_epoch"].dump()) : status;
    const auto& parameters = run["parameters"];
    rows.push_back(
        {variant, accuracy ? fmt::format("{:.4f}", *accuracy) : problem, loss ? fmt::format("{:.4f}", *loss) : "-",
         best ? fmt::format("{:.4f}", *best) : "-", run["epochs_completed"].dump(),
         with_thousands(parameters["trainable"].get<std::size_t>() + parameters["non_trainable"].get<std::size_t>()),
         format_seconds(run["timings"]["train_seconds"].get<double>())});
    if (accuracy) (variant == "bn" ? bn : no_bn) = &run;
  }
  text += align_columns(rows, {0});
  for (const auto& run : results["runs"]) {
    const auto stopped = run.value("stopped_epoch", std::int64_t{0});
    if (stopped > 0 && run["status"] == "ok")
      text += fmt::format("{}: early stopping ended training at epoch {} (best epoch {}{})\n",
                          run["variant"].get<std::string>(), stopped, run.value("best_epoch", std::int64_t{0}),
                          run.value("restored_best", false) ? ", whose weights were restored" : "");
  }
  if (bn && no_bn && test_rows > 0) {
    const double difference = (*bn)["test"]["accuracy"].get<double>() - (*no_bn)["test"]["accuracy"].get<double>();
    const double loss_difference = (*bn)["test"]["loss"].get<double>() - (*no_bn)["test"]["loss"].get<double>();
    text += fmt::format("\nbn - no_bn: {:+.4f} test accuracy ({:+.0f} of {} test rows), {:+.4f} test loss\n",
                        difference, difference * static_cast<double>(test_rows), test_rows, loss_difference);
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
  std::string text = title + "\n" + align_columns(rows, {0, 1, 5});
  text +=
      fmt::format("total params: {}  (trainable: {}, non-trainable: {})\n", with_thousands(trainable + non_trainable),
                  with_thousands(trainable), with_thousands(non_trainable));
  return text;
}

}  // namespace bnrun::report
