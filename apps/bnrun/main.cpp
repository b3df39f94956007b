// bnrun's command line: parses arguments, calls the library, maps errors to exit codes (0 ok, 1 internal error,
// 2 bad usage, config or data, or a run that failed or diverged). Everything it prints about runs comes from
// lib/report and lib/study; the progress display lives here because only the command line knows about terminals.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "command_line.h"
#include "completion.h"
#include "manual_page.h"
#include "shipped_files.h"
#include "config/load.h"
#include "config/schema.h"
#include "core/console.h"
#include "core/error.h"
#include "core/files.h"
#include "core/resources.h"
#include "data/dataset_cache.h"
#include "distributed/communicator.h"
#include "kernels/parallel.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "results/codec.h"
#include "study/claims.h"
#include "study/compare.h"
#include "study/plan.h"
#include "study/outputs.h"
#include "study/session.h"
#include "study/shards.h"
#include "launch/slurm.h"
#include "core/process.h"

namespace {

using bnrun::app::ClaimsOptions;
using bnrun::app::Command;
using bnrun::app::ModelOptions;
using bnrun::app::Options;

constexpr int exit_ok = 0;
constexpr int exit_internal_error = 1;
constexpr int exit_user_error = 2;

// One interruption policy for every command and phase. SIGINT (Ctrl-C), SIGTERM (kill, scancel) and SIGHUP (the
// terminal went away) are handled alike, and bnrun always exits 128 + the signal (130, 143, 129):
//  - exit_now, the default (planning, --dry-run, validate, summary, compare, predict and eval while they compute,
//    a wait on a FIFO): nothing bnrun would lose is in flight, so it prints one line and exits at once;
//  - when_asked (a training session, claims, and every file write): the first signal only sets a flag, which the
//    runs poll before every batch and before each run starts, so the results so far are written complete; a
//    second signal ends the process at once.
enum class StopMode : int { exit_now, when_asked };
std::atomic<int> received_signal{0};
std::atomic<StopMode> stop_mode{StopMode::exit_now};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<StopMode>::is_always_lock_free,
              "the signal handler needs lock-free flags");

// Async-signal-safe: only write(2) and _exit(2).
[[noreturn]] void exit_for_signal(int signal_number) {
  const std::string_view text = signal_number == SIGINT    ? "error: interrupted by SIGINT (Ctrl-C)\n"
                                : signal_number == SIGTERM ? "error: interrupted by SIGTERM\n"
                                                           : "error: interrupted by SIGHUP\n";
  [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, text.data(), text.size());
  ::_exit(128 + signal_number);
}

// Set when main has returned its exit code: a signal after that (mpirun ending the other processes of a job whose
// rank failed, while this one finalizes MPI) ends the process with that code, saying nothing more.
std::atomic<int> exiting_with{-1};

extern "C" void on_stop_signal(int signal_number) {
  if (const int code = exiting_with.load(); code >= 0) ::_exit(code);
  const bool second = received_signal.exchange(signal_number) != 0;
  if (stop_mode.load() == StopMode::exit_now) exit_for_signal(signal_number);
  if (second) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

// Holds the when_asked policy for as long as it lives (a session, or one file being written).
class StopWhenAsked {
 public:
  StopWhenAsked() : previous_(stop_mode.exchange(StopMode::when_asked)) {}
  StopWhenAsked(const StopWhenAsked&) = delete;
  StopWhenAsked& operator=(const StopWhenAsked&) = delete;
  ~StopWhenAsked() { stop_mode.store(previous_); }

 private:
  StopMode previous_;
};

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  // A reader that leaves the pipe early (bnrun ... | head -1) must not kill bnrun mid-write: the write fails with
  // EPIPE instead, after the run's files are complete, and print_stdout reports it.
  std::signal(SIGPIPE, SIG_IGN);
  // Likewise a file-size limit (ulimit -f): the write that passes it fails with EFBIG and is reported like a full
  // disk, and every file that fits is kept.
  std::signal(SIGXFSZ, SIG_IGN);
}

// With stdin, stdout or stderr closed (2>&-), the next file bnrun opens would get that descriptor, and log lines
// meant for stderr would land in a results file. Each closed one is pointed at /dev/null first.
void reserve_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      const int opened = ::open("/dev/null", O_RDWR);
      if (opened != fd && opened >= 0) ::close(opened);  // fd was not the lowest free one: leave it
    }
}

bool stop_requested() {
  return received_signal.load(std::memory_order_relaxed) != 0;
}

// Everything bnrun prints on stdout goes through here, so a full disk or a closed pipe is an error (exit 2), not a
// silently truncated table.
void print_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw bnrun::UserError(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
}

void configure_logging(const Options& options) {
  auto logger = spdlog::stderr_color_mt("bnrun");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  if (options.quiet) spdlog::set_level(spdlog::level::warn);
  if (options.verbose) spdlog::set_level(spdlog::level::debug);
  if (!options.log_level.empty()) spdlog::set_level(spdlog::level::from_str(options.log_level));
}

void require_config(const Options& options) {
  if (options.config_path.empty())
    throw bnrun::UserError("--config is required: bnrun --config FILE (see bnrun --help)");
}

bnrun::study::Plan plan(const Options& options) {
  require_config(options);
  // CLI11 refuses both on one command; given one before a subcommand's name and one after, they reach here.
  if (!options.variant.empty() && !options.arms.empty())
    throw bnrun::UserError("--variant and --arms both choose the arms to train: give one of them");
  bnrun::study::PlanRequest request;
  request.config_path = options.config_path;
  request.overrides = options.overrides;
  if (options.folds > 0) request.overrides.push_back(fmt::format("dataset.cross_validation.folds={}", options.folds));
  request.arms = options.arms;
  if (options.variant == "bn" || options.variant == "no_bn") request.arms = {options.variant};
  if (options.variant == "both") request.arms = {"bn", "no_bn"};
  request.sweeps = options.sweeps;
  request.seeds = options.seeds;
  return bnrun::study::make_plan(request);
}

std::string interruption_text(int signal_number) {
  return signal_number == SIGINT ? "SIGINT (Ctrl-C)" : signal_number == SIGTERM ? "SIGTERM" : "SIGHUP";
}

// Whether every run of the session trained to its end: a signal that came while the files were written stopped
// nothing, and the files say so.
bool every_run_complete(const bnrun::study::SessionResult& result) {
  for (const auto& outcome : result.outcomes) {
    if (!bnrun::study::has_record(outcome)) return false;
    for (const auto& arm : outcome.record.arms)
      if (arm.result.status == bnrun::train::RunStatus::interrupted) return false;
  }
  return true;
}

// Names the runs a study still lacks: the first few, then how many more.
std::string missing_runs_text(const std::vector<std::string>& missing) {
  constexpr std::size_t listed = 5;
  std::string text;
  for (std::size_t i = 0; i < std::min(listed, missing.size()); ++i) text += (i ? ", " : "") + missing[i];
  if (missing.size() > listed) text += fmt::format(" and {} more", missing.size() - listed);
  return text;
}

// `--shard I/N`: this process's part of a study shared by many (study/shards.h).
int run_shard(const bnrun::kernels::Compute& compute, const Options& options, bnrun::study::Plan study_plan) {
  if (options.overwrite || options.init_from.size() || options.save_model)
    throw bnrun::UserError(fmt::format("--shard does not combine with {}", options.overwrite ? "--overwrite (each shard resumes the shared folder; remove it to start again)"
                                                                       : options.save_model ? "--save-model"
                                                                                            : "--init-from"));
  bnrun::study::ShardRequest request;
  request.plan = std::move(study_plan);
  request.shard = bnrun::study::parse_shard(options.shard);
  request.run.output_directory = options.output_directory;
  request.run.jobs = options.jobs;
  request.run.compute = compute;
  request.run.should_stop = stop_requested;
  request.command_line = options.command_line;
  request.live_progress = ::isatty(STDERR_FILENO) != 0 && !options.quiet;
  const StopWhenAsked stop_when_asked;
  const auto result = bnrun::study::run_shard(request);
  print_stdout(result.table);
  for (const auto& file : result.unwritten) bnrun::print_stderr("error: {}\n", file);
  if (result.collected)
    spdlog::info("every run of the study has its result: wrote {}/summary.json and report.md", options.output_directory);
  else
    spdlog::info("shard {}: done; {} of the study's {} runs still to finish ({}); the last shard to finish writes the "
                 "summary, or: bnrun collect {}",
                 options.shard, result.missing.size(), result.runs_in_study, missing_runs_text(result.missing),
                 options.output_directory);
  if (const int signal_number = received_signal.load()) {
    bnrun::print_stderr("error: interrupted by {}; this shard's runs so far are in {} (status \"interrupted\"; run "
                        "the shard again to finish them)\n",
                        interruption_text(signal_number), options.output_directory);
    return 128 + signal_number;
  }
  std::size_t problems = 0;
  for (const auto& outcome : result.outcomes) {
    if (outcome.state == bnrun::study::RunState::not_run) continue;  // another shard's: it reports it
    const bool ok = bnrun::study::has_record(outcome) &&
                    std::all_of(outcome.record.arms.begin(), outcome.record.arms.end(), [](const auto& arm) {
                      return arm.result.status == bnrun::train::RunStatus::ok;
                    });
    if (!ok) ++problems;
    if (!bnrun::study::has_record(outcome)) bnrun::print_stderr("error: {}\n", outcome.error);
  }
  if (problems > 0)
    bnrun::print_stderr("error: {} of this shard's {} runs failed or diverged\n", problems, result.outcomes.size());
  return problems == 0 && result.unwritten.empty() ? exit_ok : exit_user_error;
}

// `bnrun collect DIR`: the summary of a study from its run folders.
int run_collect(const bnrun::kernels::Compute& compute, const std::string& directory) {
  const StopWhenAsked stop_when_asked;  // the summary files are written whole
  const auto result = bnrun::study::collect_study(directory, compute);
  print_stdout(result.table);
  for (const auto& file : result.unwritten) bnrun::print_stderr("error: {}\n", file);
  if (!result.complete()) {
    bnrun::print_stderr("error: {} of the study's {} runs have no finished result yet ({}); the summary shows them "
                        "as not run: run their shards again (or bnrun ... --resume) and collect again\n",
                        result.missing.size(), result.outcomes.size(), missing_runs_text(result.missing));
    return exit_user_error;
  }
  spdlog::info("wrote {}/summary.json and report.md from {} run folders", directory, result.outcomes.size());
  return result.unwritten.empty() ? exit_ok : exit_user_error;
}

// The options that plan the same study again, as typed (bnrun slurm writes them into the job script).
std::vector<std::string> plan_arguments(const Options& options) {
  std::vector<std::string> arguments = {"--config", options.config_path};
  for (const auto& assignment : options.overrides) arguments.insert(arguments.end(), {"--set", assignment});
  for (const auto& sweep : options.sweeps) arguments.insert(arguments.end(), {"--sweep", sweep});
  if (!options.seeds.empty()) arguments.insert(arguments.end(), {"--seeds", options.seeds});
  if (options.folds > 0) arguments.insert(arguments.end(), {"--folds", std::to_string(options.folds)});
  if (!options.arms.empty()) arguments.insert(arguments.end(), {"--arms", fmt::format("{}", fmt::join(options.arms, ","))});
  if (!options.variant.empty()) arguments.insert(arguments.end(), {"--variant", options.variant});
  return arguments;
}

// `bnrun slurm`: the study as a Slurm job array and a collect job (launch/slurm.h).
int run_slurm(const Options& options, const bnrun::app::SlurmOptions& slurm) {
  bnrun::launch::SlurmRequest request;
  request.plan = plan(options);
  request.settings = bnrun::launch::read_slurm_settings(request.plan.launcher, options.config_path);
  bnrun::launch::apply_overrides(request.settings, {slurm.partition, slurm.time, slurm.mem, slurm.account,
                                                    slurm.cpus_per_task, slurm.max_parallel});
  request.output_directory = options.output_directory;
  request.plan_arguments = plan_arguments(options);
  request.working_directory = std::filesystem::current_path().string();
  request.bnrun_path = bnrun::this_program_path();
  request.command_line = options.command_line;
  request.dry_run = options.dry_run;
  request.resume = options.resume;
  const auto submission = bnrun::launch::submit_study(request);
  print_stdout(submission.report);
  return exit_ok;
}

// The data every run of the plan reads, checked as the runs would meet it (study::check_every_run_data).
void check_data(const bnrun::kernels::Compute& compute, const bnrun::study::Plan& study_plan) {
  bnrun::data::DatasetCache data(compute);
  bnrun::study::check_every_run_data(study_plan, data);
}

int run_training(const bnrun::kernels::Compute& compute, const Options& options) {
  bnrun::study::SessionRequest request;
  request.plan = plan(options);
  if (!options.shard.empty() && !options.dry_run) return run_shard(compute, options, std::move(request.plan));
  if (options.dry_run) {
    check_data(compute, request.plan);
    if (!options.shard.empty())
      request.plan = bnrun::study::shard_plan(request.plan, bnrun::study::parse_shard(options.shard));
    print_stdout(bnrun::study::plan_table(request.plan));
    return exit_ok;
  }
  request.run.output_directory = options.output_directory;
  request.run.jobs = options.jobs;
  request.run.compute = compute;
  request.run.resume = options.resume;
  request.run.save_models = options.save_model;
  request.run.init_from = options.init_from;
  request.run.should_stop = stop_requested;
  request.overwrite = options.overwrite;
  request.command_line = options.command_line;
  // Under mpirun the processes share the runs: handed out, or each trained by all together (study/team.h).
  if (bnrun::distributed::world().size() > 1) request.team = &bnrun::distributed::world();
  request.live_progress = ::isatty(STDERR_FILENO) != 0 && !options.quiet;
  const StopWhenAsked stop_when_asked;
  const auto result = bnrun::study::run_session(request);
  print_stdout(result.table);

  const bool study = request.plan.is_study;
  if (!result.unwritten.empty()) {
    // What trained is in the table above; say exactly which files are missing (a full disk lists many: the
    // first ones name the cause).
    constexpr std::size_t listed = 10;
    for (std::size_t i = 0; i < std::min(listed, result.unwritten.size()); ++i)
      bnrun::print_stderr("error: {}\n", result.unwritten[i]);
    if (result.unwritten.size() > listed)
      bnrun::print_stderr("error: ... and {} more files that could not be written\n", result.unwritten.size() - listed);
    bnrun::print_stderr("error: {} file{} could not be written; {}\n", result.unwritten.size(),
                        result.unwritten.size() == 1 ? "" : "s",
                        result.kept_previous_results
                            ? fmt::format("nothing was replaced: {} holds the results it held before",
                                          options.output_directory)
                            : "every other file is complete" + std::string(study ? " (--resume re-runs a run "
                                                                                    "whose result.json is missing)"
                                                                              : ""));
    if (received_signal.load() == 0) return exit_user_error;
  }
  if (const int signal_number = received_signal.load(); signal_number != 0 && result.kept_previous_results) {
    bnrun::print_stderr("error: interrupted by {}; nothing was replaced: {} holds the results it held before\n",
                        interruption_text(signal_number), options.output_directory);
    return 128 + signal_number;
  }
  if (const int signal_number = received_signal.load(); signal_number != 0 && every_run_complete(result)) {
    bnrun::print_stderr("error: interrupted by {} after training had finished; {}\n", interruption_text(signal_number),
                        options.output_directory.empty()
                            ? "the results are above"
                            : fmt::format("the results in {} are complete", options.output_directory));
    return 128 + signal_number;
  }
  if (const int signal_number = received_signal.load()) {
    bnrun::print_stderr("error: interrupted by {}; the results so far are {}\n", interruption_text(signal_number),
               options.output_directory.empty()
                   ? "above"
               : study ? fmt::format("in {} (status \"interrupted\"; --resume finishes the study)",
                                     options.output_directory)
                       : fmt::format("in {} (status \"interrupted\")", options.output_directory));
    return 128 + signal_number;
  }
  for (const auto& divergence : result.divergences)
    bnrun::print_stderr(
               "error: {} diverged at epoch {} (the loss or the weights are not finite); {}\n", divergence.arm,
               divergence.epoch, divergence.advice);
  if (result.runs_with_problems > 0)
    bnrun::print_stderr("error: {} of {} runs failed or diverged (listed above)\n", result.runs_with_problems,
               result.outcomes.size());
  return result.divergences.empty() && result.runs_with_problems == 0 ? exit_ok : exit_user_error;
}

int run_validate(const bnrun::kernels::Compute& compute, const Options& options) {
  const auto study_plan = plan(options);
  bnrun::launch::read_slurm_settings(study_plan.launcher, options.config_path);  // its keys are checked here too
  if (!options.config_only) check_data(compute, study_plan);
  print_stdout(bnrun::config::to_json(study_plan.runs.front().config).dump(2) + "\n");
  if (study_plan.is_study)
    spdlog::info("{}: {} valid; {} runs (the config above is run 1; see --dry-run)", options.config_path,
                 options.config_only ? "config" : "config and data are", study_plan.runs.size());
  else
    spdlog::info("{}: {} valid", options.config_path, options.config_only ? "config is" : "config and data are");
  return exit_ok;
}

int run_summary(const bnrun::kernels::Compute& compute, const Options& options) {
  print_stdout(bnrun::study::model_summaries(compute, plan(options)));
  return exit_ok;
}

// How predict and eval read --data: --allow-special-file and --delimiter.
bnrun::modelio::CsvReading csv_reading(const bnrun::app::ModelOptions& options) {
  const auto delimiter = bnrun::data::delimiter_from_text(options.delimiter);
  if (!delimiter)
    throw bnrun::UserError(fmt::format("--delimiter {}: expected {}", options.delimiter, bnrun::data::delimiter_expected));
  return {options.allow_special_file, *delimiter};
}

int run_predict(const bnrun::kernels::Compute& compute, const ModelOptions& options) {
  const auto file = bnrun::modelio::read_model_file(options.model_path);
  auto model = bnrun::modelio::build_model(file);
  const auto predictions = bnrun::modelio::predict_csv(compute, *model, file, options.data_path, csv_reading(options));
  const std::string text = bnrun::modelio::predictions_csv(predictions);
  if (options.output_path.empty()) {
    print_stdout(text);
  } else {
    {
      const StopWhenAsked stop_when_asked;  // no half-written file: a signal now waits for the rename
      bnrun::write_file_atomically(options.output_path, text);
    }
    if (const int signal_number = received_signal.load()) {
      bnrun::print_stderr("error: interrupted by {}; {} was written complete first\n", interruption_text(signal_number),
                          options.output_path);
      return 128 + signal_number;
    }
    spdlog::info("wrote {} predictions to {}", predictions.rows(), options.output_path);
  }
  return exit_ok;
}

int run_eval(const bnrun::kernels::Compute& compute, const ModelOptions& options) {
  const auto file = bnrun::modelio::read_model_file(options.model_path);
  auto model = bnrun::modelio::build_model(file);
  const auto scored = bnrun::modelio::evaluate_csv(compute, *model, file, options.data_path, csv_reading(options));
  const auto& evaluation = scored.evaluation;
  if (options.json) {
    // The keys of results.json's "test", by the same writer: equal numbers for the run's own test rows.
    nlohmann::ordered_json json = {{"model", options.model_path}, {"data", options.data_path}};
    json.update(bnrun::results::evaluation_to_json(evaluation, scored.classification, scored.regression));
    print_stdout(json.dump() + "\n");
    return exit_ok;
  }
  const auto shown = [](double value) { return std::isfinite(value) ? fmt::format("{:.4f}", value) : "-"; };
  print_stdout(fmt::format("{} (variant {}, seed {}) on {}\n", options.model_path, file.metadata.arm,
                           file.metadata.seed, options.data_path));
  if (const auto& regression = scored.regression) {
    print_stdout(fmt::format("RMSE       {}\nMAE        {}\nR²         {}\nloss       {}\n", shown(regression->rmse),
                             shown(regression->mae), shown(regression->r2), shown(evaluation.loss)));
  } else if (const auto& metrics = scored.classification) {
    print_stdout(fmt::format("accuracy   {:.4f}\nloss       {:.4f}\n", evaluation.accuracy, evaluation.loss));
    print_stdout(fmt::format("macro-F1   {}\nbal. acc.  {}\nROC-AUC    {}{}\nlog loss   {}\n",
                             shown(metrics->macro_f1), shown(metrics->balanced_accuracy), shown(metrics->roc_auc),
                             metrics->roc_auc_undefined.empty() ? "" : " (" + metrics->roc_auc_undefined + ")",
                             shown(metrics->log_loss)));
  }
  return exit_ok;
}

// `bnrun claims`: runs each claim config as a study, judges it by the rule in study/claims.h, and writes one
// markdown document with the verdicts, numbers and plots (copied beside the document, in claims/).
int run_claims(const bnrun::kernels::Compute& compute, const Options& options, const ClaimsOptions& claims_options) {
  bnrun::study::ClaimsRequest request;
  request.configs = claims_options.configs;
  request.overrides = options.overrides;
  if (!options.output_directory.empty()) request.output_root = options.output_directory;
  request.document = claims_options.document;
  request.jobs = options.jobs;
  request.compute = compute;
  request.live_progress = ::isatty(STDERR_FILENO) != 0 && !options.quiet;
  request.command_line = options.command_line;
  request.should_stop = stop_requested;
  if (bnrun::distributed::world().size() > 1) request.team = &bnrun::distributed::world();
  const StopWhenAsked stop_when_asked;
  const auto result = bnrun::study::run_claims(request);
  if (const int signal_number = received_signal.load(); result.interrupted && signal_number != 0) {
    bnrun::print_stderr("error: interrupted by {}; {} not written\n", interruption_text(signal_number),
               claims_options.document);
    return 128 + signal_number;
  }
  print_stdout(result.table);
  spdlog::info("wrote {} ({:.1f} min)", claims_options.document, result.minutes);
  return exit_ok;
}

// `bnrun __complete WHAT`: what the bash completion script offers (apps/bnrun/completion.h). Without --config, the
// keys are those of the shipped iris_bn config.
int run_complete(const CLI::App& app, const bnrun::app::CompleteOptions& complete, Options options,
                 const bnrun::app::ShippedFiles& shipped) {
  if (complete.what == "subcommands") {
    print_stdout(bnrun::app::subcommand_names(app));
  } else if (complete.what == "options") {
    print_stdout(bnrun::app::option_names(app, complete.command));
  } else if (complete.what == "configs") {
    std::string text;
    for (const auto& name : bnrun::app::shipped_config_names(shipped.configs)) text += name + ".json\n";
    print_stdout(text);
  } else {
    // The config's own paths (with its layers' and arms' indices), then every other key the schema allows
    // (dataset.cross_validation.folds, which a config has only once it is set).
    options.config_path = bnrun::app::resolve_config_path(
        options.config_path.empty() ? std::string("iris_bn.json") : options.config_path, shipped.configs);
    nlohmann::ordered_json config;
    try {
      config = bnrun::config::to_json(plan(options).runs.front().config);
    } catch (const bnrun::UserError&) {
      // A config being written may not read yet: the schema's keys still complete.
    }
    print_stdout(bnrun::app::key_paths(config, bnrun::config::schema_key_paths(bnrun::config::config_schema())));
  }
  return exit_ok;
}

// `bnrun schema [-o FILE]`: the config's JSON Schema (config/schema.h).
int run_schema(const std::string& output_path) {
  const std::string text = bnrun::config::config_schema().dump(2) + "\n";
  if (output_path.empty()) {
    print_stdout(text);
    return exit_ok;
  }
  bnrun::write_file_atomically(output_path, text);
  spdlog::info("wrote {}", output_path);
  return exit_ok;
}

int run_compare(const std::vector<std::string>& paths) {
  print_stdout(bnrun::study::comparison_across_runs(bnrun::study::read_compared_runs(paths)));
  return exit_ok;
}

// --threads, or when it is not given and mpirun started several processes on this machine without OMP_NUM_THREADS,
// each its share of the cores: they would otherwise all take every core and slow one another down.
int default_threads(int threads) {
  const int processes_here = bnrun::distributed::launched_local_size();
  if (threads > 0 || processes_here <= 1 || std::getenv("OMP_NUM_THREADS")) return threads;
  return std::max(1, bnrun::kernels::available_threads() / processes_here);
}

int run_command_line(int argc, char** argv) {
  reserve_standard_descriptors();
  CLI::App app;
  bnrun::app::CommandLine line;
  // The man page is for any installation: it names the shipped files under PREFIX, not where this binary is.
  const bool writing_manual_page = std::any_of(argv + 1, argv + argc, [](const char* argument) {
    return std::string_view(argument) == "--help-man";
  });
  const auto shipped = writing_manual_page
                           ? bnrun::app::ShippedFiles{"PREFIX/share/bnrun/configs", "PREFIX/share/doc/bnrun"}
                           : bnrun::app::shipped_files();
  const bnrun::app::Subcommands subcommands(app, line, shipped);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? exit_ok : exit_user_error;
  }
  Options& options = line.options;
  options.command_line = bnrun::app::quoted_command_line(argc, argv);

  try {
    if (line.manual_page) {
      print_stdout(bnrun::app::manual_page(app, BNRUN_VERSION));
      return exit_ok;
    }
    subcommands.refuse_unused_options(app);
    configure_logging(options);
    if (subcommands.chosen() == Command::complete) return run_complete(app, line.complete, options, shipped);
    if (subcommands.chosen() == Command::schema) return run_schema(line.schema_path);
    // A config name that is no file here is one of the shipped configs (apps/bnrun/shipped_files.h).
    if (!options.config_path.empty())
      options.config_path = bnrun::app::resolve_config_path(options.config_path, shipped.configs);
    for (auto& claim_config : line.claims.configs)
      claim_config = bnrun::app::resolve_config_path(claim_config, shipped.configs, "claims");
    bnrun::distributed::start_process();
    install_stop_handlers();
    // Where --threads goes: from here, as a parameter, through the session, runner and trainer to every kernel.
    const auto compute = bnrun::kernels::compute_with_threads(default_threads(options.threads));
    switch (subcommands.chosen()) {
      case Command::validate: return run_validate(compute, options);
      case Command::summary: return run_summary(compute, options);
      case Command::predict: return run_predict(compute, line.predict);
      case Command::eval: return run_eval(compute, line.eval);
      case Command::compare: return run_compare(line.compare_paths);
      case Command::claims: return run_claims(compute, options, line.claims);
      case Command::collect: return run_collect(compute, line.collect_directory);
      case Command::slurm: return run_slurm(options, line.slurm);
      case Command::train: return run_training(compute, options);
      case Command::complete:
      case Command::schema: break;  // answered above
    }
    return exit_internal_error;
  } catch (const bnrun::UserError& error) {
    bnrun::print_stderr("error: {}\n", error.what());
    return exit_user_error;
  } catch (const std::bad_alloc&) {
    // Only input can make bnrun need more memory than there is: a user error, as in training.
    bnrun::print_stderr("error: out of memory (the input needs more than the {} available)\n",
                        bnrun::format_bytes(static_cast<double>(bnrun::available_memory_bytes())));
    return exit_user_error;
  } catch (const std::exception& error) {
    bnrun::print_stderr("internal error: {}\n", error.what());
    return exit_internal_error;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int code = run_command_line(argc, argv);
  exiting_with.store(code);  // what is left (MPI_Finalize in a static destructor) ends with this code
  return code;
}
