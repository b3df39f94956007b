#include "report/results.h"

#include <fmt/format.h>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"

namespace bnrun::report {

namespace {

using nlohmann::ordered_json;

// A diverged epoch's NaN or infinite loss becomes null: JSON has no NaN, and a script should see "no value".
ordered_json finite_or_null(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json evaluation_json(const std::optional<train::Evaluation>& evaluation) {
  if (!evaluation) return nullptr;
  return {{"accuracy", finite_or_null(evaluation->accuracy)}, {"loss", finite_or_null(evaluation->loss)}};
}

std::string_view status_name(train::RunStatus status) {
  switch (status) {
    case train::RunStatus::ok:
      return "ok";
    case train::RunStatus::diverged:
      return "diverged";
    case train::RunStatus::interrupted:
      return "interrupted";
  }
  return "ok";
}

ordered_json run_json(const train::VariantRun& run, double load_seconds) {
  const train::RunResult& result = run.result;
  ordered_json history = ordered_json::array();
  for (const auto& epoch : result.history) {
    history.push_back(
        {{"epoch", epoch.epoch},
         {"train_loss", finite_or_null(epoch.train_loss)},
         {"train_accuracy", finite_or_null(epoch.train_accuracy)},
         {"val_loss", epoch.validation ? finite_or_null(epoch.validation->loss) : ordered_json(nullptr)},
         {"val_accuracy", epoch.validation ? finite_or_null(epoch.validation->accuracy) : ordered_json(nullptr)},
         {"seconds", epoch.seconds},
         {"learning_rate", epoch.learning_rate}});
  }
  const auto best = best_validation_accuracy(result);
  ordered_json entry = {
      {"variant", config::variant_name(run.variant)}, {"seed", run.seed}, {"status", status_name(result.status)}};
  if (result.status == train::RunStatus::diverged) entry["diverged_epoch"] = result.diverged_epoch;
  entry["stopped_epoch"] = result.stopped_epoch;
  entry["best_epoch"] = result.best_epoch;
  entry["restored_best"] = result.restored_best;
  entry["test"] = evaluation_json(result.test);
  entry["best_val_accuracy"] = best ? ordered_json(*best) : ordered_json(nullptr);
  entry["epochs_completed"] = result.history.size();
  entry["parameters"] = {{"trainable", result.trainable_parameters},
                         {"non_trainable", result.non_trainable_parameters}};
  entry["timings"] = {{"load_seconds", load_seconds},
                      {"train_seconds", result.train_seconds},
                      {"samples_per_second", result.samples_per_second},
                      {"peak_rss_bytes", result.peak_rss_bytes}};
  if (result.skipped_single_row_batches > 0) entry["skipped_single_row_batches"] = result.skipped_single_row_batches;
  entry["history"] = std::move(history);
  if (!result.step_history.empty()) {
    ordered_json steps = ordered_json::array();
    for (const auto& record : result.step_history)
      steps.push_back({{"step", record.step},
                       {"epoch", record.epoch},
                       {"test_loss", finite_or_null(record.test.loss)},
                       {"test_accuracy", finite_or_null(record.test.accuracy)}});
    entry["step_history"] = std::move(steps);
  }
  return entry;
}

// Shortest text that reads back as the same double.
std::string format_number(double value) {
  return fmt::format("{}", value);
}

}  // namespace

Environment current_environment(int threads, std::string_view blas) {
  Environment environment;
  environment.threads = threads;
  environment.blas = std::string(blas);
#if defined(__clang__)
  environment.compiler = fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  environment.compiler = fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  environment.compiler = "unknown";
#endif
  return environment;
}

std::optional<double> best_validation_accuracy(const train::RunResult& result) {
  std::optional<double> best;
  for (const auto& epoch : result.history)
    if (epoch.validation && (!best || epoch.validation->accuracy > *best)) best = epoch.validation->accuracy;
  return best;
}

ordered_json results_json(const ExperimentReport& report) {
  ordered_json runs = ordered_json::array();
  for (const auto& run : report.runs) runs.push_back(run_json(run, report.load_seconds));
  const data::PreparedData& data = report.data;
  return {{"bnrun_version", BNRUN_VERSION},
          {"config", config::to_json(report.config)},
          {"environment",
           {{"threads", report.environment.threads},
            {"compiler", report.environment.compiler},
            {"blas", report.environment.blas}}},
          {"data",
           {{"features", data.feature_names},
            {"classes", data.class_names},
            {"train_rows", data.train.rows()},
            {"validation_rows", data.validation.rows()},
            {"test_rows", data.test.rows()}}},
          {"runs", std::move(runs)}};
}

std::string history_csv(const train::RunResult& result) {
  // learning_rate is last so that the older columns, which scripts may read by position, keep their places.
  std::string text = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate\n";
  for (const auto& epoch : result.history) {
    text +=
        fmt::format("{},{},{},{},{},{},{}\n", epoch.epoch, format_number(epoch.train_loss),
                    format_number(epoch.train_accuracy), epoch.validation ? format_number(epoch.validation->loss) : "",
                    epoch.validation ? format_number(epoch.validation->accuracy) : "", format_number(epoch.seconds),
                    format_number(epoch.learning_rate));
  }
  return text;
}

void prepare_output_folder(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw UserError(fmt::format("{}: cannot create --output folder: {}", directory, error.message()));
  if (!std::filesystem::is_directory(directory, error))
    throw UserError(fmt::format("{}: --output exists and is not a folder", directory));
  const std::string probe = (std::filesystem::path(directory) / ".bnrun-write-check").string();
  write_file_atomically(probe, "");
  std::filesystem::remove(probe, error);
}

void write_results(const std::string& directory, const ExperimentReport& report) {
  prepare_output_folder(directory);
  const std::filesystem::path folder(directory);
  for (const auto& run : report.runs)
    write_file_atomically((folder / fmt::format("history_{}.csv", config::variant_name(run.variant))).string(),
                          history_csv(run.result));
  // results.json last: its presence means the whole set is complete.
  write_file_atomically((folder / "results.json").string(), results_json(report).dump(2) + "\n");
}

}  // namespace bnrun::report
