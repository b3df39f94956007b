#include "study/outputs.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <functional>

#include "config/config.h"
#include "core/error.h"
#include "core/csv_text.h"
#include "core/files.h"
#include "core/folder_lock.h"
#include "results/codec.h"
#include "results/metrics.h"
#include "report/table.h"

namespace bnrun::study {

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

// A study's plots, report.md and summary.csv written at once (core/files.h, BackgroundWriter).
constexpr std::size_t study_output_writer_threads = 4;

std::string mean_std(const stats::Summary& summary) {
  if (summary.n == 0) return "-";
  if (summary.n == 1) return fmt::format("{:.4f}", summary.mean);
  return fmt::format("{:.4f} ± {:.4f}", summary.mean, summary.std);
}

std::string fixed(double value) {
  return std::isfinite(value) ? fmt::format("{:.4f}", value) : "-";
}

std::string interval(const stats::PairedDifference& difference) {
  if (difference.n == 0) return "-";
  if (difference.n < 2) return fmt::format("{:+.4f} (1 seed)", difference.mean);
  return fmt::format("{:+.4f} [{:+.4f}, {:+.4f}]", difference.mean, difference.ci_low, difference.ci_high);
}

ordered_json number_or_null(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json summary_object(const stats::Summary& summary) {
  return {{"n", summary.n},
          {"mean", number_or_null(summary.mean)},
          {"std", number_or_null(summary.std)},
          {"min", number_or_null(summary.min)},
          {"max", number_or_null(summary.max)}};
}

ordered_json difference_object(const stats::PairedDifference& difference) {
  ordered_json object = {{"n", difference.n},
                         {"mean", number_or_null(difference.mean)},
                         {"std", number_or_null(difference.std)},
                         {"ci_low", number_or_null(difference.ci_low)},
                         {"ci_high", number_or_null(difference.ci_high)},
                         {"confidence", difference.confidence},
                         {"excludes_zero", difference.n >= 2 && difference.excludes_zero()}};
  // Only for cross-validated studies, so the summaries of others stay as they were.
  if (difference.test_to_train_ratio > 0.0) {
    object["interval"] = "nadeau_bengio_corrected";
    object["test_to_train_ratio"] = difference.test_to_train_ratio;
  }
  return object;
}

ordered_json settings_object(const std::vector<Setting>& settings) {
  ordered_json object = ordered_json::object();
  for (const auto& setting : settings) object[setting.key_path] = setting.value;
  return object;
}

// A number as summary.csv writes it (shortest round-trip text); empty for NaN, as results.json's null.
std::string number_cell(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : "";
}

// The lines under the table: runs that failed, diverged or were interrupted.
std::string problems(const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  std::string text;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    const std::string name = plan.is_study ? fmt::format("run {} ({})", run.index, run.folder) : "the run";
    if (outcomes[i].state == RunState::not_run) {
      text += fmt::format("{}: not run (the session was interrupted before it started)\n", name);
      continue;
    }
    if (outcomes[i].state == RunState::failed) {
      text += fmt::format("{} failed: {}\n", name, outcomes[i].error);
      continue;
    }
    for (const auto& arm : outcomes[i].record.arms) {
      const train::RunStatus status = arm.result.status;
      if (status == train::RunStatus::diverged)
        text += fmt::format("{}: {} diverged at epoch {}\n", name, arm.arm, arm.result.diverged_epoch);
      else if (status != train::RunStatus::ok)
        text += fmt::format("{}: {} {}\n", name, arm.arm, train::status_name(status));
    }
  }
  return text;
}

std::string seeds_text(const std::vector<std::uint64_t>& seeds) {
  if (seeds.size() == 1) return fmt::format("seed {}", seeds[0]);
  bool consecutive = true;
  for (std::size_t i = 1; i < seeds.size(); ++i) consecutive = consecutive && seeds[i] == seeds[i - 1] + 1;
  if (consecutive) return fmt::format("{} seeds {}–{}", seeds.size(), seeds.front(), seeds.back());
  return fmt::format("{} seeds {}", seeds.size(), fmt::join(seeds, ", "));
}

// "5 seeds 1–5", and " × 10 folds" when the study is cross-validated.
std::string replicates_text(const Plan& plan) {
  const std::size_t folds = plan.runs.empty() ? 0 : plan.runs.front().config.dataset.folds;
  return seeds_text(plan.seeds) + (folds > 0 ? fmt::format(" × {} folds", folds) : "");
}

// The metric the study's tables lead with: test accuracy, or test RMSE for a numeric target.
results::Metric primary_metric_of(const Plan& plan) {
  return results::primary_metric(!plan.runs.empty() && plan.runs.front().config.dataset.numeric_target);
}

// The primary metric in a narrow column's header.
std::string_view short_label(results::Metric metric) {
  return metric == results::Metric::test_rmse ? "RMSE" : "acc";
}

// "bn - no_bn, paired over 5 seeds: test accuracy -0.0067 [-0.1010, +0.0877], test loss ...", one per arm paired
// against the reference.
std::string difference_sentences(const GroupSummary& group, results::Metric primary) {
  std::string text;
  const std::string_view primary_label = primary == results::Metric::test_accuracy ? "accuracy" : "RMSE";
  for (const auto& difference : group.differences) {
    const auto& accuracy = difference.of(primary);
    if (accuracy.n == 0) continue;
    std::vector<std::string> parts;
    for (const results::Metric metric : difference.metrics)
      parts.push_back(fmt::format("{} {}", results::definition_of(metric).label, interval(difference.of(metric))));
    const bool folds = accuracy.test_to_train_ratio > 0.0;
    text += fmt::format("{} - {}, paired over {} {}{}: {}", difference.arm, difference.reference, accuracy.n,
                        folds ? "seed × fold run" : "seed", accuracy.n == 1 ? "" : "s", fmt::join(parts, ", "));
    if (accuracy.n >= 2)
      text += fmt::format("\n  (brackets: 95 % interval{}; for {} it {} 0)",
                          folds ? ", Nadeau–Bengio corrected for the folds' shared training rows" : "", primary_label,
                          accuracy.excludes_zero() ? "excludes" : "includes");
    text += "\n";
  }
  return text;
}

// "bn - no_bn" when one arm is paired against the reference, "each arm - no_bn" when several are.
std::string pairing_text(const GroupSummary& group) {
  if (group.differences.size() == 1)
    return fmt::format("{} - {}", group.differences.front().arm, group.differences.front().reference);
  return fmt::format("each arm - {}", group.differences.front().reference);
}

}  // namespace

std::string plan_table(const Plan& plan) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"run"};
  if (plan.is_study) header.push_back("folder");
  for (const auto& axis : plan.axes) header.push_back(axis.key_path);
  header.push_back("seed");
  rows.push_back(header);
  for (const auto& run : plan.runs) {
    std::vector<std::string> row = {std::to_string(run.index)};
    if (plan.is_study) row.push_back(run.folder);
    for (const auto& setting : run.settings) row.push_back(value_text(setting.value));
    row.push_back(std::to_string(run.seed));
    rows.push_back(row);
  }
  std::vector<std::size_t> left(header.size());
  for (std::size_t c = 0; c < left.size(); ++c) left[c] = c;
  const std::string grid =
      plan.axes.empty() ? "" : fmt::format("{} setting{} × ", plan.group_count, plan.group_count == 1 ? "" : "s");
  return fmt::format("{}: {} run{} ({}{}), each training {}; nothing trained (--dry-run)\n\n",
                     plan.runs.front().config.name, plan.runs.size(), plan.runs.size() == 1 ? "" : "s", grid,
                     replicates_text(plan), fmt::join(plan_arms(plan), " and ")) +
         report::align_columns(rows, left);
}

std::string study_table(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                        const std::vector<GroupSummary>& groups) {
  const auto count = [&](RunState state) {
    return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                  [&](const RunOutcome& outcome) { return outcome.state == state; }));
  };
  const std::size_t failed = count(RunState::failed), not_run = count(RunState::not_run);
  std::string text = fmt::format(
      "{}: {} run{}, {}{}{}{}\n\n", plan.runs.front().config.name, plan.runs.size(), plan.runs.size() == 1 ? "" : "s",
      plan.axes.empty() ? "" : fmt::format("{} setting{} × ", groups.size(), groups.size() == 1 ? "" : "s"),
      replicates_text(plan), failed > 0 ? fmt::format(", {} failed", failed) : "",
      not_run > 0 ? fmt::format(", {} not run", not_run) : "");
  const results::Metric primary = primary_metric_of(plan);
  if (groups.size() == 1) {
    const GroupSummary& group = groups.front();
    std::vector<std::string> header = {"variant", "n"};
    for (const results::Metric metric : plan_summary_metrics(plan))
      header.insert(header.end(), {std::string(results::definition_of(metric).label), "min", "max"});
    std::vector<std::vector<std::string>> rows = {header};
    for (const auto& arm : group.arms) {
      std::vector<std::string> row = {arm.arm, std::to_string(arm.summary(primary).n)};
      for (const auto& summary : arm.summaries)
        row.insert(row.end(), {mean_std(summary), fixed(summary.min), fixed(summary.max)});
      rows.push_back(row);
    }
    text += report::align_columns(rows, {0});
    const std::string sentence = difference_sentences(group, primary);
    if (!sentence.empty()) text += "\n" + sentence;
  } else {
    const bool paired = !groups.front().differences.empty();
    std::vector<std::string> header;
    for (const auto& axis : plan.axes) header.push_back(axis.short_name);
    header.push_back("n");
    for (const auto& arm : plan_arms(plan)) header.push_back(fmt::format("{} test {}", arm, short_label(primary)));
    for (const auto& difference : groups.front().differences)
      header.push_back(
          fmt::format("{} - {} {} [95 % CI]", difference.arm, difference.reference, short_label(primary)));
    std::vector<std::vector<std::string>> rows = {header};
    for (const auto& group : groups) {
      std::vector<std::string> row;
      for (const auto& setting : group.settings) row.push_back(value_text(setting.value));
      row.push_back(std::to_string(group.seeds.size()));
      // Fewer results than seeds (a seed diverged or failed): say over how many the figure is.
      for (const auto& arm : group.arms) {
        const stats::Summary& accuracy = arm.summary(primary);
        row.push_back(accuracy.n > 0 && accuracy.n < group.seeds.size()
                          ? fmt::format("{} (n={})", mean_std(accuracy), accuracy.n)
                          : mean_std(accuracy));
      }
      for (const auto& difference : group.differences) row.push_back(interval(difference.of(primary)));
      rows.push_back(row);
    }
    std::vector<std::size_t> left;
    for (std::size_t a = 0; a < plan.axes.size(); ++a)
      if (!std::all_of(plan.axes[a].values.begin(), plan.axes[a].values.end(),
                       [](const nlohmann::json& value) { return value.is_number(); }))
        left.push_back(a);
    text += report::align_columns(rows, left);
    const bool folds = !plan.runs.empty() && test_to_train_ratio(plan.runs.front()) > 0.0;
    text += paired ? fmt::format("\n(mean ± std over {}; brackets: paired 95 % interval of {}{})\n",
                                 folds ? "seed × fold runs" : "seeds", pairing_text(groups.front()),
                                 folds ? ", Nadeau–Bengio corrected" : "")
                   : "\n(mean ± std over seeds)\n";
  }
  const std::string trouble = problems(plan, outcomes);
  if (!trouble.empty()) text += "\n" + trouble;
  return text;
}

ordered_json summary_json(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                          const std::vector<GroupSummary>& groups, const report::Environment& environment) {
  ordered_json sweep = ordered_json::array();
  for (const auto& axis : plan.axes) sweep.push_back({{"key", axis.key_path}, {"values", axis.values}});
  ordered_json runs = ordered_json::array();
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    const ordered_json identity = {
        {"run", run.index}, {"folder", run.folder}, {"settings", settings_object(run.settings)}};
    if (!has_record(outcomes[i])) {
      for (const auto& variant : plan_arms(plan)) {
        ordered_json entry = identity;
        entry.update({{"variant", variant},
                      {"seed", run.seed},
                      {"status", outcomes[i].state == RunState::not_run ? "not_run" : "failed"},
                      {"error", outcomes[i].error},
                      {"test", nullptr}});
        runs.push_back(std::move(entry));
      }
      continue;
    }
    for (const auto& arm : outcomes[i].record.arms) {
      ordered_json entry = identity;
      ordered_json arm_entry = results::to_json(arm);
      for (auto&& [key, value] : arm_entry.items()) entry[key] = std::move(value);
      runs.push_back(std::move(entry));
    }
  }
  ordered_json group_list = ordered_json::array();
  const auto metrics = plan_summary_metrics(plan);
  for (const auto& group : groups) {
    ordered_json arms = ordered_json::object();
    for (const auto& arm : group.arms) {
      ordered_json entry = {
          {"ok", arm.ok}, {"diverged", arm.diverged}, {"interrupted", arm.interrupted}, {"failed", arm.failed},
          {"not_run", arm.not_run}};
      for (const results::Metric metric : metrics)
        entry[std::string(results::definition_of(metric).key)] = summary_object(arm.summary(metric));
      arms[arm.arm] = std::move(entry);
    }
    ordered_json differences = ordered_json::array();
    // Older scripts read the bn − no_bn pair under its own key (null when those two were not paired).
    ordered_json bn_minus_no_bn = ordered_json::object();
    for (const results::Metric metric : metrics)
      bn_minus_no_bn[std::string(results::definition_of(metric).key)] = nullptr;
    for (const auto& difference : group.differences) {
      ordered_json entry = {{"arm", difference.arm}, {"reference", difference.reference}};
      for (const results::Metric metric : metrics)
        entry[std::string(results::definition_of(metric).key)] = difference_object(difference.of(metric));
      if (difference.arm == "bn" && difference.reference == "no_bn")
        for (const results::Metric metric : metrics)
          bn_minus_no_bn[std::string(results::definition_of(metric).key)] = difference_object(difference.of(metric));
      differences.push_back(std::move(entry));
    }
    group_list.push_back({{"settings", settings_object(group.settings)},
                          {"seeds", group.seeds},
                          {"variants", std::move(arms)},
                          {"bn_minus_no_bn", std::move(bn_minus_no_bn)},
                          {"differences", std::move(differences)}});
  }
  return {{"bnrun_version", BNRUN_VERSION},
          {"config", config::to_json(plan.runs.front().config)},
          {"study",
           {{"config_path", plan.config_path},
            {"sweep", std::move(sweep)},
            {"seeds", plan.seeds},
            {"run_count", plan.runs.size()}}},
          {"environment",
           {{"threads", environment.threads},
            {"compiler", environment.compiler},
            {"blas", environment.blas},
            {"cpu", environment.cpu},
            {"cpu_level", environment.cpu_level}}},
          {"runs", std::move(runs)},
          {"groups", std::move(group_list)}};
}

std::string summary_csv(const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  std::string text = "run,folder";
  for (const auto& axis : plan.axes) text += "," + csv_field(axis.key_path);
  // A numeric target's runs have no accuracy: their columns are the regression metrics, and the best validation
  // loss for the best validation accuracy.
  const bool regression = primary_metric_of(plan) == results::Metric::test_rmse;
  text += regression ? ",seed,variant,status,test_rmse,test_mae,test_r2,test_loss,best_val_loss,epochs_completed,"
                       "train_seconds,error\n"
                     : ",seed,variant,status,test_accuracy,test_loss,best_val_accuracy,epochs_completed,train_seconds,"
                       "error\n";
  const std::string empty_cells(regression ? 7 : 5, ',');  // every column before the error
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    std::string prefix = fmt::format("{},{}", run.index, csv_field(run.folder));
    for (const auto& setting : run.settings) prefix += "," + csv_field(value_text(setting.value));
    prefix += fmt::format(",{}", run.seed);
    if (!has_record(outcomes[i])) {
      const char* status = outcomes[i].state == RunState::not_run ? "not_run" : "failed";
      for (const auto& arm : plan_arms(plan))
        text += fmt::format("{},{},{}{},{}\n", prefix, arm, status, empty_cells, csv_field(outcomes[i].error));
      continue;
    }
    for (const auto& arm : outcomes[i].record.arms) {
      const train::RunResult& result = arm.result;
      if (regression) {
        std::vector<std::string> cells;
        for (const auto metric : {results::Metric::test_rmse, results::Metric::test_mae, results::Metric::test_r2,
                                  results::Metric::test_loss})
          cells.push_back(result.test ? number_cell(results::definition_of(metric).of(arm)) : "");
        const auto best_loss = results::best_validation_loss(result);
        text += fmt::format("{},{},{},{},{},{},{},\n", prefix, arm.arm, train::status_name(result.status),
                            fmt::join(cells, ","), best_loss ? number_cell(*best_loss) : "", result.history.size(),
                            number_cell(result.train_seconds));
        continue;
      }
      const auto best = results::best_validation_accuracy(result);
      text += fmt::format("{},{},{},{},{},{},{},{},\n", prefix, arm.arm, train::status_name(result.status),
                          result.test ? number_cell(result.test->accuracy) : "",
                          result.test ? number_cell(result.test->loss) : "", best ? number_cell(*best) : "",
                          result.history.size(), number_cell(result.train_seconds));
    }
  }
  return text;
}

std::string report_markdown(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                            const std::vector<GroupSummary>& groups, const std::vector<NamedFigure>& figures,
                            const std::string& command_line) {
  const config::Config& first = plan.runs.front().config;
  std::string text = fmt::format("# {}: {} run{}\n\n", first.name, plan.runs.size(), plan.runs.size() == 1 ? "" : "s");
  if (!first.description.empty()) text += first.description + "\n\n";
  text += fmt::format("Made by bnrun {} from `{}`: `{}`\n\n", BNRUN_VERSION, plan.config_path, command_line);
  if (!plan.axes.empty()) {
    text += "Swept:\n\n";
    for (const auto& axis : plan.axes) {
      std::vector<std::string> values;
      for (const auto& value : axis.values) values.push_back(value_text(value));
      text += fmt::format("- `{}`: {}\n", axis.key_path, fmt::join(values, ", "));
    }
    text += "\n";
  }
  text += fmt::format(
      "Each setting ran with {} and every variant; the test figures are mean ± std (n − 1) "
      "over the seeds that finished.\n\n## Test results\n\n",
      replicates_text(plan));
  const std::string settings_header = plan.axes.empty() ? "" : "settings | ";
  const std::string settings_rule = plan.axes.empty() ? "" : "---|";
  const auto metrics = plan_summary_metrics(plan);
  const results::Metric primary = primary_metric_of(plan);
  std::string header = fmt::format("| {}variant | n |", settings_header);
  std::string rule = fmt::format("|{}---|--:|", settings_rule);
  for (const results::Metric metric : metrics) {
    header += fmt::format(" {} | min | max |", results::definition_of(metric).label);
    rule += "--:|--:|--:|";
  }
  text += header + "\n" + rule + "\n";
  for (const auto& group : groups) {
    const std::string settings = plan.axes.empty() ? "" : settings_label(plan, group.settings) + " | ";
    for (const auto& arm : group.arms) {
      text += fmt::format("| {}{} | {} |", settings, arm.arm, arm.summary(primary).n);
      for (const auto& summary : arm.summaries)
        text += fmt::format(" {} | {} | {} |", mean_std(summary), fixed(summary.min), fixed(summary.max));
      text += "\n";
    }
  }
  auto bounds = [](const stats::PairedDifference& d) {
    return d.n >= 2 ? fmt::format("[{:+.4f}, {:+.4f}]", d.ci_low, d.ci_high) : std::string("-");
  };
  for (std::size_t k = 0; k < groups.front().differences.size(); ++k) {
    const ArmDifference& pair = groups.front().differences[k];
    text += fmt::format(
        "\n## {} − {}, paired by seed\n\nThe difference of each seed's {} and {} results (same initial "
        "Dense weights, splits and batches), with its 95 % Student-t interval{}.\n\n",
        pair.arm, pair.reference, pair.arm, pair.reference,
        test_to_train_ratio(plan.runs.front()) > 0.0
            ? "; the runs are the folds of cross-validation, whose training sets overlap, so the interval is "
              "Nadeau and Bengio's corrected one: std·sqrt(1/J + 1/(K − 1)) in place of std/sqrt(J)"
            : "");
    std::string difference_header = fmt::format("| {}n |", settings_header);
    std::string difference_rule = fmt::format("|{}--:|", settings_rule);
    for (const results::Metric metric : metrics) {
      difference_header += fmt::format(" {} | 95 % interval |", results::definition_of(metric).label);
      difference_rule += "--:|--:|";
    }
    text += difference_header + "\n" + difference_rule + "\n";
    for (const auto& group : groups) {
      const ArmDifference& difference = group.differences[k];
      text += fmt::format("| {}{} |", plan.axes.empty() ? "" : settings_label(plan, group.settings) + " | ",
                          difference.of(primary).n);
      for (const results::Metric metric : metrics) {
        const auto& d = difference.of(metric);
        text += fmt::format(" {} | {} |", d.n > 0 ? fmt::format("{:+.4f}", d.mean) : "-", bounds(d));
      }
      text += "\n";
    }
  }
  const std::string trouble = problems(plan, outcomes);
  if (!trouble.empty()) {
    text += "\n## Runs without a test result\n\n";
    std::size_t start = 0;
    while (start < trouble.size()) {
      const std::size_t end = trouble.find('\n', start);
      text += "- " + trouble.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  text += "\n## Plots\n\n";
  for (const auto& figure : figures)
    text += fmt::format("### {}\n\n![{}]({})\n\n", figure.caption, figure.caption, figure.file);
  if (plan.is_study)
    text +=
        "Per-run files: each run's folder holds `config.json` (resolved), `history.csv` and `result.json`; "
        "`summary.csv` and `summary.json` list every run.\n";
  return text;
}

bool prepare_output_folder(const std::string& directory, bool overwrite, bool resume) {
  std::error_code error;
  const fs::path folder(directory);
  // The lock file (core/folder_lock.h) is not a result: a folder holding only it is empty, and it stays.
  const auto holds_results = [&] {
    for (const auto& entry : fs::directory_iterator(folder, error))
      if (entry.path().filename() != lock_file_name) return true;
    return false;
  };
  const bool holds = fs::exists(folder, error) && fs::is_directory(folder, error) && holds_results();
  if (holds) {
    const bool ours = fs::exists(folder / marker_file, error);
    if (resume) {
      if (!ours)
        throw UserError(
            fmt::format("{}: --resume needs a folder bnrun wrote (it has no {} file)", directory, marker_file));
    } else if (overwrite) {
      if (!ours)
        throw UserError(
            fmt::format("{}: the folder holds files bnrun did not write; not deleting them with "
                        "--overwrite (choose another --output)",
                        directory));
    } else if (!ours) {
      // `-o .`, `-o /`, a home folder: files of the user's, not results; --overwrite would not delete them either.
      throw UserError(fmt::format("{}: the --output folder is not empty and holds files bnrun did not write; "
                                  "choose a new or empty folder (bnrun makes it)",
                                  directory));
    } else {
      throw UserError(
          fmt::format("{}: the --output folder already holds results; add --overwrite to replace them "
                      "or --resume to finish the runs that are missing",
                      directory));
    }
  }
  report::prepare_output_folder(directory);
  write_file_atomically((folder / marker_file).string(), "This folder was written by bnrun.\n");
  return holds;
}

std::vector<std::string> write_study_outputs(const std::string& directory, const Plan& plan,
                                             const std::vector<RunOutcome>& outcomes,
                                             const report::Environment& environment, const std::string& command_line) {
  const fs::path folder(directory);
  const auto groups = summarize_groups(plan, outcomes);
  const auto figures = study_figures(plan, outcomes, groups);
  IndependentWrites writes;
  const bool plots_folder = writes.attempt([&] {
    std::error_code error;
    fs::create_directories(folder / "plots", error);
    if (error)
      throw UserError(fmt::format("{}: cannot create the plots folder: {}", (folder / "plots").string(), error.message()));
  });
  // Every file but summary.json is made and written on threads of its own (their fsyncs overlap) while this one
  // composes summary.json, the largest (6 MB for 200 iris runs), which is written last.
  struct Output {
    fs::path path;
    std::function<std::string()> contents;
    std::vector<std::string> unwritten;
    std::exception_ptr error;  // from making the contents: rethrown here, as if it were made on this thread
  };
  std::vector<Output> files;
  const auto add = [&](fs::path path, std::function<std::string()> contents) {
    files.push_back({std::move(path), std::move(contents), {}, {}});
  };
  if (plots_folder)
    for (const auto& figure : figures) add(folder / figure.file, [&figure] { return plot::render_svg(figure.figure); });
  add(folder / "report.md", [&] { return report_markdown(plan, outcomes, groups, figures, command_line); });
  // The plan the summary is of: what `bnrun collect` and --shard read (study/shards.h).
  if (plan.is_study) add(folder / "plan.json", [&] { return plan_to_json(plan, command_line).dump(1) + "\n"; });
  if (plan.is_study) add(folder / "summary.csv", [&] { return summary_csv(plan, outcomes); });
  std::string summary;
  {
    BackgroundWriter writer(study_output_writer_threads);
    for (auto& file : files)
      writer.submit([&file] {
        try {
          const std::string contents = file.contents();
          IndependentWrites file_writes;
          file_writes.write(file.path.string(), contents);
          file.unwritten = file_writes.failures();
        } catch (...) {
          file.error = std::current_exception();
        }
      });
    if (plan.is_study) summary = summary_json(plan, outcomes, groups, environment).dump(2) + "\n";
  }
  std::vector<std::string> unwritten = writes.failures();
  for (const auto& file : files) {
    if (file.error) std::rethrow_exception(file.error);
    unwritten.insert(unwritten.end(), file.unwritten.begin(), file.unwritten.end());
  }
  if (plan.is_study) {
    IndependentWrites last;
    last.write((folder / "summary.json").string(), summary);
    unwritten.insert(unwritten.end(), last.failures().begin(), last.failures().end());
  }
  return unwritten;
}

}  // namespace bnrun::study
