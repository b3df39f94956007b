#include "study/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/console.h"
#include "results/metrics.h"

namespace bnrun::study {

namespace {

std::string format_duration(double seconds) {
  const auto whole = static_cast<long long>(seconds + 0.5);
  if (whole < 60) return fmt::format("{} s", whole);
  if (whole < 3600) return fmt::format("{}:{:02} min", whole / 60, whole % 60);
  return fmt::format("{}:{:02}:{:02} h", whole / 3600, (whole / 60) % 60, whole % 60);
}

}  // namespace

// All calls come serialized from the runner.
class Progress::Display {
 public:
  Display(const Plan& plan, bool live) : plan_(plan), live_(live), start_(Clock::now()) {
    for (const auto& run : plan.runs)
      total_epochs_ += run.config.training.epochs * static_cast<std::int64_t>(run.config.experiment.arms.size());
  }

  void epoch(const PlannedRun& run, const std::string& arm, const train::EpochRecord& record) {
    ++done_epochs_;
    // Every epoch of every run comes here (20,000 in a 200-run iris study): text is made only when it is shown.
    if (spdlog::should_log(spdlog::level::debug)) {
      // A numeric target has no accuracy (NaN): its lines show the losses alone.
      const bool regression = run.config.dataset.numeric_target;
      std::string validation;
      if (record.validation)
        validation = regression ? fmt::format(", val loss {:.4f}", record.validation->loss)
                                : fmt::format(", val acc {:.4f}", record.validation->accuracy);
      spdlog::debug("{}{} epoch {}/{}: loss {:.4f}{}{}", run_prefix(run), arm, record.epoch,
                    run.config.training.epochs, record.train_loss,
                    regression ? "" : fmt::format(", acc {:.4f}", record.train_accuracy), validation);
    }
    if (!live_ || Clock::now() - last_draw_ <= std::chrono::milliseconds(100)) return;
    status_ = fmt::format("{}{} epoch {}/{} · loss {:.4f}{}", run_prefix(run), arm,
                          record.epoch, run.config.training.epochs, record.train_loss, eta());
    draw();
  }

  void data_ready(const PlannedRun&, const data::PreparedData& data) {
    if (plan_.is_study) return;
    if (data.numeric_target) {
      log(spdlog::level::info,
          fmt::format("numeric target: mean {:.4g}, deviation {:.4g} on the training rows{}", data.target_scaling.mean,
                      data.target_scaling.scale, data.target_scaling.scale != 1.0 || data.target_scaling.mean != 0.0
                                                     ? " (standardized for training)"
                                                     : ""));
      return;
    }
    std::vector<std::string> mapping;
    for (std::size_t k = 0; k < data.class_names.size(); ++k)
      mapping.push_back(fmt::format("{}={}", data.class_names[k], k));
    log(spdlog::level::info, fmt::format("{} classes: {}", data.class_names.size(), fmt::join(mapping, ", ")));
  }

  void arm_start(const PlannedRun& run, const std::string& arm) {
    if (!plan_.is_study)
      log(spdlog::level::info, fmt::format("training {} for {} epoch{}", arm,
                                           run.config.training.epochs, run.config.training.epochs == 1 ? "" : "s"));
  }

  void arm_end(const PlannedRun& run, const train::ArmRun& arm_run) {
    // Epochs a run did not need (early stopping, divergence) count as done for the ETA.
    done_epochs_ += run.config.training.epochs - static_cast<std::int64_t>(arm_run.result.history.size());
    if (arm_run.result.skipped_single_row_batches > 0)
      log(spdlog::level::warn,
          fmt::format("{}{}: skipped the trailing batch of one row in each epoch ({} in all): BatchNorm needs 2 or "
                      "more rows",
                      run_prefix(run), arm_run.arm, arm_run.result.skipped_single_row_batches));
  }

  void run_end(const PlannedRun& run, const RunOutcome& outcome) {
    ++finished_runs_;
    if (finished_runs_ == plan_.runs.size()) status_.clear();  // nothing left to show
    if (outcome.state == RunState::resumed)
      done_epochs_ += run.config.training.epochs * static_cast<std::int64_t>(run.config.experiment.arms.size());
    if (!plan_.is_study) return;
    std::string text = fmt::format("run {}/{} {}: ", position_of(run), plan_.runs.size(), run.folder);
    if (outcome.state == RunState::failed) {
      log(spdlog::level::warn, text + "failed: " + outcome.error);
      return;
    }
    const auto& primary = results::definition_of(results::primary_metric(results::is_regression(outcome.record)));
    std::vector<std::string> parts;
    for (const auto& arm : outcome.record.arms)
      parts.push_back(fmt::format("{} {}", arm.arm,
                                  arm.result.test ? fmt::format("{:.4f}", primary.of(arm))
                                                  : std::string(train::status_name(arm.result.status))));
    text += fmt::format("{} {}", primary.label, fmt::join(parts, ", "));
    if (outcome.state == RunState::resumed) text += " (finished earlier, kept)";
    log(spdlog::level::info, text + eta());
  }

  void clear() {
    if (!drawn_) return;
    write_stderr("\r\x1b[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;

  // The run's place among the runs this process trains (a shard trains runs 2, 5, 8, … of the study as its 1, 2, 3).
  std::size_t position_of(const PlannedRun& run) const {
    for (std::size_t k = 0; k < plan_.runs.size(); ++k)
      if (plan_.runs[k].index == run.index) return k + 1;
    return run.index;
  }

  std::string run_prefix(const PlannedRun& run) const {
    return plan_.is_study ? fmt::format("[run {}/{}] ", position_of(run), plan_.runs.size()) : "";
  }

  std::string eta() const {
    if (done_epochs_ <= 0 || done_epochs_ >= total_epochs_) return "";
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double remaining =
        elapsed / static_cast<double>(done_epochs_) * static_cast<double>(total_epochs_ - done_epochs_);
    return elapsed > 1.0 ? fmt::format(" · ETA {}", format_duration(remaining)) : "";
  }

  void log(spdlog::level::level_enum level, const std::string& text) {
    clear();
    spdlog::log(level, "{}", text);
    if (live_ && !status_.empty()) draw();
  }

  void draw() {
    write_stderr("\r\x1b[K" + status_);
    drawn_ = true;
    last_draw_ = Clock::now();
  }

  const Plan& plan_;
  bool live_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  std::int64_t total_epochs_ = 0;
  std::int64_t done_epochs_ = 0;
  std::size_t finished_runs_ = 0;
  std::string status_;
  bool drawn_ = false;
};


Progress::Progress(const Plan& plan, bool live) : display_(std::make_unique<Display>(plan, live)) {}

Progress::~Progress() {
  display_->clear();
}

RunnerObserver Progress::observer() {
  RunnerObserver observer;
  Display& display = *display_;
  observer.on_epoch = [&display](const auto& run, const auto& arm, const auto& record) { display.epoch(run, arm, record); };
  observer.on_data_ready = [&display](const auto& run, const auto& data) { display.data_ready(run, data); };
  observer.on_arm_start = [&display](const auto& run, const auto& arm) { display.arm_start(run, arm); };
  observer.on_arm_end = [&display](const auto& run, const auto& arm_run) { display.arm_end(run, arm_run); };
  observer.on_run_end = [&display](const auto& run, const auto& outcome) { display.run_end(run, outcome); };
  return observer;
}

void Progress::clear() {
  display_->clear();
}

}  // namespace bnrun::study
