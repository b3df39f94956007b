#include "study/figures.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace bnrun::study {

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Each arm keeps its colour across every figure of a study: its place in the plan's arms.
int arm_color(const std::string& arm, const std::vector<std::string>& arms) {
  return static_cast<int>(std::find(arms.begin(), arms.end(), arm) - arms.begin());
}

plot::Series band_series(const std::string& label, const Band& band, int color, bool dashed) {
  plot::Series series;
  series.label = label;
  series.x = band.x;
  series.y = band.mean;
  series.band_low = band.low;
  series.band_high = band.high;
  series.color = color;
  series.dashed = dashed;
  series.markers = band.x.size() == 1;
  return series;
}

std::string seeds_note(std::size_t seeds) {
  return seeds > 1 ? fmt::format(" (mean of {} seeds, band: min–max)", seeds) : "";
}

NamedFigure learning_curves_figure(const Plan& plan, const std::vector<RunOutcome>& outcomes, const GroupSummary& group,
                                   const std::string& file) {
  const auto arms = plan_arms(plan);
  const std::string settings = settings_label(plan, group.settings);
  plot::Figure figure;
  figure.title = fmt::format("{}{}: learning curves{}", plan.runs.front().config.name,
                             settings.empty() ? "" : " [" + settings + "]", seeds_note(group.seeds.size()));
  plot::Panel loss{"loss", "epoch", "loss", false, {}, std::nullopt, std::nullopt, {}};
  plot::Panel accuracy{"accuracy", "epoch", "accuracy", false, {}, std::nullopt, std::nullopt, {}};
  for (const auto& curves : group_curves(plan, outcomes, group)) {
    const int color = arm_color(curves.arm, arms);
    loss.series.push_back(band_series(curves.arm + " train", curves.train_loss, color, false));
    accuracy.series.push_back(band_series(curves.arm + " train", curves.train_accuracy, color, false));
    if (!curves.val_loss.x.empty()) {
      loss.series.push_back(band_series(curves.arm + " validation", curves.val_loss, color, true));
      accuracy.series.push_back(band_series(curves.arm + " validation", curves.val_accuracy, color, true));
    }
  }
  // A numeric target has no accuracy: its curves are the losses alone.
  const bool regression = plan.runs.front().config.dataset.numeric_target;
  figure.panels.push_back(std::move(loss));
  if (regression)
    return {FigureKind::learning_curves, file,
            fmt::format("Learning curves{}", settings.empty() ? "" : " for " + settings), std::move(figure)};
  figure.panels.push_back(std::move(accuracy));
  // The paper's Figure 1: test accuracy against optimizer steps, when the run measured it.
  plot::Panel by_step{
      "test accuracy during training", "training step", "test accuracy", false, {}, std::nullopt, std::nullopt, {}};
  for (const auto& curves : group_curves(plan, outcomes, group))
    if (!curves.test_accuracy_by_step.x.empty())
      by_step.series.push_back(
          band_series(curves.arm, curves.test_accuracy_by_step, arm_color(curves.arm, arms), false));
  if (!by_step.series.empty()) figure.panels.push_back(std::move(by_step));
  return {FigureKind::learning_curves, file, fmt::format("Learning curves{}", settings.empty() ? "" : " for " + settings),
          std::move(figure)};
}

bool all_numbers(const std::vector<nlohmann::json>& values) {
  return std::all_of(values.begin(), values.end(), [](const nlohmann::json& v) { return v.is_number(); });
}

// Test accuracy and loss against one swept key; the other keys' values split the lines.
NamedFigure sweep_figure(const Plan& plan, const std::vector<GroupSummary>& groups, std::size_t axis_index) {
  const SweepAxis& axis = plan.axes[axis_index];
  const auto arms = plan_arms(plan);
  const std::string reference = plan_reference(plan);
  const bool numeric = all_numbers(axis.values);
  bool log_x = false;
  if (numeric) {
    double low = std::numeric_limits<double>::infinity(), high = 0.0;
    bool positive = true;
    for (const auto& value : axis.values) {
      const double x = value.get<double>();
      positive = positive && x > 0.0;
      low = std::min(low, x);
      high = std::max(high, x);
    }
    // Learning rates (1e-4 … 1) and batch sizes (2 … 256) read best on a log axis.
    log_x = positive && high / low >= 10.0;
  }
  auto x_of = [&](const nlohmann::json& value) {
    if (numeric) return value.get<double>();
    return static_cast<double>(std::find(axis.values.begin(), axis.values.end(), value) - axis.values.begin());
  };

  // Lines: one per (arm, values of the other axes).
  struct Line {
    std::string label;
    int color = 0;
    bool dashed = false;
    std::vector<std::pair<double, const GroupSummary*>> points;
  };
  std::vector<Line> lines;
  std::vector<std::string> others;  // the other axes' settings, one entry per distinct combination
  for (const auto& group : groups) {
    std::vector<Setting> other_settings;
    for (std::size_t a = 0; a < group.settings.size(); ++a)
      if (a != axis_index) other_settings.push_back(group.settings[a]);
    const std::string other = settings_label(plan, other_settings);
    auto found = std::find(others.begin(), others.end(), other);
    if (found == others.end()) found = others.insert(others.end(), other);
    const auto other_index = static_cast<std::size_t>(found - others.begin());
    for (const auto& arm : group.arms) {
      const std::string label = other.empty() ? arm.arm : arm.arm + ", " + other;
      auto line = std::find_if(lines.begin(), lines.end(), [&](const Line& l) { return l.label == label; });
      if (line == lines.end()) {
        // Colour by the other settings when there are several, the reference arm dashed; otherwise by arm.
        const bool several = plan.axes.size() > 1;
        line = lines.insert(lines.end(), Line{label,
                                              several ? static_cast<int>(other_index) : arm_color(arm.arm, arms),
                                              several && arm.arm == reference,
                                              {}});
      }
      line->points.push_back({x_of(group.settings[axis_index].value), &group});
    }
  }

  auto panel_for = [&](results::Metric metric) {
    const std::string title(results::definition_of(metric).label);
    plot::Panel panel{title, axis.key_path, title, log_x, {}, std::nullopt, std::nullopt, {}};
    if (!numeric)
      for (const auto& value : axis.values) panel.x_categories.push_back(value_text(value));
    for (const auto& line : lines) {
      plot::Series series;
      series.label = line.label;
      series.color = line.color;
      series.dashed = line.dashed;
      series.markers = true;
      auto points = line.points;
      std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [x, group] : points) {
        const std::string arm_name = line.label.substr(0, line.label.find(','));
        const auto arm = std::find_if(group->arms.begin(), group->arms.end(),
                                      [&](const ArmSummary& a) { return a.arm == arm_name; });
        const stats::Summary& summary = arm->summary(metric);
        series.x.push_back(x);
        series.y.push_back(summary.n > 0 ? summary.mean : not_a_number);
        series.band_low.push_back(summary.n > 0 ? summary.min : not_a_number);
        series.band_high.push_back(summary.n > 0 ? summary.max : not_a_number);
      }
      // Beyond four lines the bands hide each other and the lines; the spread is in report.md's tables.
      if (lines.size() > 4) {
        series.band_low.clear();
        series.band_high.clear();
      }
      panel.series.push_back(std::move(series));
    }
    return panel;
  };
  plot::Figure figure;
  figure.title =
      fmt::format("{}: test results against {}{}", plan.runs.front().config.name, axis.key_path,
                  lines.size() > 4 && plan.seeds.size() > 1 ? fmt::format(" (mean of {} seeds)", plan.seeds.size())
                                                            : seeds_note(plan.seeds.size()));
  for (const results::Metric metric : plan_summary_metrics(plan)) figure.panels.push_back(panel_for(metric));
  return {FigureKind::sweep, fmt::format("plots/sweep_{}.svg", axis.short_name),
          fmt::format("Test {} and loss against {}", plan.runs.front().config.dataset.numeric_target ? "RMSE, MAE, R²"
                                                                                                     : "accuracy",
                      axis.key_path),
          std::move(figure)};
}

}  // namespace

std::string settings_label(const Plan& plan, const std::vector<Setting>& settings, const std::string& separator) {
  std::string label;
  for (const auto& setting : settings) {
    const auto axis = std::find_if(plan.axes.begin(), plan.axes.end(),
                                   [&](const SweepAxis& a) { return a.key_path == setting.key_path; });
    const std::string name = axis == plan.axes.end() ? setting.key_path : axis->short_name;
    label += fmt::format("{}{}={}", label.empty() ? "" : separator, name, value_text(setting.value));
  }
  return label;
}

std::vector<NamedFigure> study_figures(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                       const std::vector<GroupSummary>& groups) {
  std::vector<NamedFigure> figures;
  for (const auto& group : groups) {
    std::string file = "plots/learning_curves.svg";
    if (groups.size() > 1) {
      std::string slug;
      for (const char c : settings_label(plan, group.settings, "_"))
        slug += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '=' || c == '_' || c == '-' ? c : '-';
      file = fmt::format("plots/learning_curves_{:03}_{}.svg", group.group + 1, slug.substr(0, 80));
    }
    figures.push_back(learning_curves_figure(plan, outcomes, group, file));
  }
  for (std::size_t a = 0; a < plan.axes.size(); ++a) figures.push_back(sweep_figure(plan, groups, a));
  return figures;
}

}  // namespace bnrun::study
