// bnrun's command line: parses arguments, calls the library, maps errors to exit codes (0 ok, 1 internal error,
// 2 bad usage, config or data, or a run that failed or diverged). Everything it prints about runs comes from
// lib/report and lib/study; the progress display lives here because only the command line knows about terminals.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/json_reader.h"
#include "config/load.h"
#include "core/error.h"
#include "data/dataset.h"
#include "experiment/arms.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "nn/model.h"
#include "plot/svg.h"
#include "core/files.h"
#include "report/results.h"
#include "report/table.h"
#include "study/claims.h"
#include "study/compare.h"
#include "study/outputs.h"
#include "study/plan.h"
#include "study/runner.h"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_internal_error = 1;
constexpr int exit_user_error = 2;

// The first SIGINT or SIGTERM asks the runs to stop after their current batch (results so far are written, with
// status "interrupted", and bnrun exits 128 + the signal: 130 or 143); a second one ends the process at once.
std::atomic<int> received_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int signal_number) {
  if (received_signal.exchange(signal_number) != 0) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
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

struct Options {
  std::string config_path;
  std::string output_directory;
  std::vector<std::string> overrides;
  std::vector<std::string> sweeps;
  std::string seeds;
  std::string variant;
  std::vector<std::string> arms;
  int threads = 0;
  int jobs = 1;
  bool dry_run = false;
  bool overwrite = false;
  bool resume = false;
  bool save_model = false;
  std::string init_from;
  bool quiet = false;
  bool verbose = false;
  std::string log_level;
  std::string command_line;
};

struct ModelOptions {
  std::string model_path;
  std::string data_path;
  std::string output_path;
  bool json = false;
};

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
  bnrun::study::PlanRequest request;
  request.config_path = options.config_path;
  request.overrides = options.overrides;
  request.arms = options.arms;
  if (options.variant == "bn" || options.variant == "no_bn") request.arms = {options.variant};
  if (options.variant == "both") request.arms = {"bn", "no_bn"};
  request.sweeps = options.sweeps;
  request.seeds = options.seeds;
  return bnrun::study::make_plan(request);
}

std::string format_duration(double seconds) {
  const auto whole = static_cast<long long>(seconds + 0.5);
  if (whole < 60) return fmt::format("{} s", whole);
  if (whole < 3600) return fmt::format("{}:{:02} min", whole / 60, whole % 60);
  return fmt::format("{}:{:02}:{:02} h", whole / 3600, (whole / 60) % 60, whole % 60);
}

// The live status line on a terminal (run k/N, epoch, loss, ETA), redrawn at most ten times a second; log lines
// clear it first. Without a terminal there is no live line, only log lines. All calls come serialized from the
// runner.
class Progress {
 public:
  Progress(const bnrun::study::Plan& plan, bool live) : plan_(plan), live_(live), start_(Clock::now()) {
    for (const auto& run : plan.runs)
      total_epochs_ += run.config.training.epochs * static_cast<std::int64_t>(run.config.experiment.arms.size());
  }
  ~Progress() { clear(); }

  void epoch(const bnrun::study::PlannedRun& run, const std::string& arm, const bnrun::train::EpochRecord& record) {
    ++done_epochs_;
    const bool due = Clock::now() - last_draw_ > std::chrono::milliseconds(100);
    const std::string validation =
        record.validation ? fmt::format(", val acc {:.4f}", record.validation->accuracy) : "";
    spdlog::debug("{}{} epoch {}/{}: loss {:.4f}, acc {:.4f}{}", run_prefix(run), arm,
                  record.epoch, run.config.training.epochs, record.train_loss, record.train_accuracy, validation);
    if (!live_ || !due) return;
    status_ = fmt::format("{}{} epoch {}/{} · loss {:.4f}{}", run_prefix(run), arm,
                          record.epoch, run.config.training.epochs, record.train_loss, eta());
    draw();
  }

  void data_ready(const bnrun::study::PlannedRun&, const bnrun::data::PreparedData& data) {
    if (plan_.is_study) return;
    std::vector<std::string> mapping;
    for (std::size_t k = 0; k < data.class_names.size(); ++k)
      mapping.push_back(fmt::format("{}={}", data.class_names[k], k));
    log(spdlog::level::info, fmt::format("{} classes: {}", data.class_names.size(), fmt::join(mapping, ", ")));
  }

  void arm_start(const bnrun::study::PlannedRun& run, const std::string& arm) {
    if (!plan_.is_study)
      log(spdlog::level::info, fmt::format("training {} for {} epoch{}", arm,
                                           run.config.training.epochs, run.config.training.epochs == 1 ? "" : "s"));
  }

  void arm_end(const bnrun::study::PlannedRun& run, const bnrun::train::ArmRun& arm_run) {
    // Epochs a run did not need (early stopping, divergence) count as done for the ETA.
    done_epochs_ += run.config.training.epochs - static_cast<std::int64_t>(arm_run.result.history.size());
    if (arm_run.result.skipped_single_row_batches > 0)
      log(spdlog::level::warn,
          fmt::format("{}{}: skipped the trailing batch of one row in each epoch ({} in all): BatchNorm needs 2 or "
                      "more rows",
                      run_prefix(run), arm_run.arm, arm_run.result.skipped_single_row_batches));
  }

  void run_end(const bnrun::study::PlannedRun& run, const bnrun::study::RunOutcome& outcome) {
    ++finished_runs_;
    if (finished_runs_ == plan_.runs.size()) status_.clear();  // nothing left to show
    if (outcome.state == bnrun::study::RunState::resumed)
      done_epochs_ += run.config.training.epochs * static_cast<std::int64_t>(run.config.experiment.arms.size());
    if (!plan_.is_study) return;
    std::string text = fmt::format("run {}/{} {}: ", run.index, plan_.runs.size(), run.folder);
    if (outcome.state == bnrun::study::RunState::failed) {
      log(spdlog::level::warn, text + "failed: " + outcome.error);
      return;
    }
    std::vector<std::string> parts;
    for (const auto& arm : outcome.record.arms)
      parts.push_back(fmt::format("{} {}", arm.arm,
                                  arm.result.test ? fmt::format("{:.4f}", arm.result.test->accuracy)
                                                  : std::string(bnrun::train::status_name(arm.result.status))));
    text += fmt::format("test accuracy {}", fmt::join(parts, ", "));
    if (outcome.state == bnrun::study::RunState::resumed) text += " (finished earlier, kept)";
    log(spdlog::level::info, text + eta());
  }

  void clear() {
    if (!drawn_) return;
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;

  std::string run_prefix(const bnrun::study::PlannedRun& run) const {
    return plan_.is_study ? fmt::format("[run {}/{}] ", run.index, plan_.runs.size()) : "";
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
    fmt::print(stderr, "\r\x1b[K{}", status_);
    std::fflush(stderr);
    drawn_ = true;
    last_draw_ = Clock::now();
  }

  const bnrun::study::Plan& plan_;
  bool live_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  std::int64_t total_epochs_ = 0;
  std::int64_t done_epochs_ = 0;
  std::size_t finished_runs_ = 0;
  std::string status_;
  bool drawn_ = false;
};

// "bn (the model as written; ...), no_bn (...)": for --help.
std::string arm_kinds_text() {
  std::string text;
  for (const auto& kind : bnrun::experiment::arm_kinds()) text += fmt::format("{}{}", text.empty() ? "" : ", ", kind.name);
  return text;
}

bool has_problem(const bnrun::study::RunOutcome& outcome) {
  if (outcome.state == bnrun::study::RunState::failed) return true;
  for (const auto& arm : outcome.record.arms)
    if (arm.result.status != bnrun::train::RunStatus::ok) return true;
  return false;
}

int run_training(const Options& options) {
  const auto study_plan = plan(options);
  if (options.dry_run) {
    print_stdout(bnrun::study::plan_table(study_plan));
    return exit_ok;
  }
  if (options.output_directory.empty() && (options.save_model || options.resume || options.overwrite))
    throw bnrun::UserError(fmt::format("{} needs --output DIR", options.save_model ? "--save-model"
                                                                : options.resume   ? "--resume"
                                                                                   : "--overwrite"));
  if (options.resume && options.overwrite) throw bnrun::UserError("--resume and --overwrite exclude each other");

  if (!options.init_from.empty()) bnrun::study::check_init_from(study_plan, options.init_from);
  const bool output = !options.output_directory.empty();
  const bool folder_existed = output && std::filesystem::exists(options.output_directory);
  if (output) {
    if (options.resume) bnrun::study::check_resumable(study_plan, options.output_directory);
    bnrun::study::prepare_output_folder(options.output_directory, options.overwrite, options.resume);
  }
  if (study_plan.is_study)
    spdlog::info("{} runs, {} at a time", study_plan.runs.size(),
                 std::min<std::size_t>(static_cast<std::size_t>(options.jobs), study_plan.runs.size()));

  Progress progress(study_plan, ::isatty(STDERR_FILENO) != 0 && !options.quiet);
  bnrun::study::RunnerObserver observer;
  observer.on_epoch = [&](const auto& run, const auto& arm, const auto& record) { progress.epoch(run, arm, record); };
  observer.on_data_ready = [&](const auto& run, const auto& data) { progress.data_ready(run, data); };
  observer.on_arm_start = [&](const auto& run, const auto& arm) { progress.arm_start(run, arm); };
  observer.on_arm_end = [&](const auto& run, const auto& arm_run) { progress.arm_end(run, arm_run); };
  observer.on_run_end = [&](const auto& run, const auto& outcome) { progress.run_end(run, outcome); };
  bnrun::study::RunnerOptions runner_options;
  runner_options.jobs = options.jobs;
  runner_options.threads = options.threads;
  runner_options.output_directory = options.output_directory;
  runner_options.resume = options.resume;
  runner_options.save_models = options.save_model;
  runner_options.init_from = options.init_from;
  runner_options.should_stop = stop_requested;
  const auto outcomes = bnrun::study::run_plan(study_plan, runner_options, observer);
  progress.clear();

  if (!study_plan.is_study) {
    const auto& outcome = outcomes.front();
    if (outcome.state == bnrun::study::RunState::failed) {
      // Nothing half-written: a run that could not start leaves no output folder behind.
      if (output && !folder_existed) std::filesystem::remove_all(options.output_directory);
      throw bnrun::UserError(outcome.error);
    }
  }
  const auto environment =
      bnrun::report::current_environment(bnrun::kernels::thread_count(), bnrun::kernels::matmul_backend_description());
  if (output) {
    bnrun::study::write_study_outputs(options.output_directory, study_plan, outcomes, environment,
                                      options.command_line);
    spdlog::info("wrote {}/{}", options.output_directory,
                 study_plan.is_study ? "summary.json and report.md" : "results.json");
  }
  if (study_plan.is_study) {
    const auto groups = bnrun::study::summarize_groups(study_plan, outcomes);
    print_stdout(bnrun::study::study_table(study_plan, outcomes, groups));
  } else {
    print_stdout(bnrun::report::comparison_table(outcomes.front().record,
                                                 study_plan.runs.front().config.experiment.reference));
  }

  if (const int signal_number = received_signal.load()) {
    fmt::print(stderr, "error: interrupted by {}; the results so far are {}\n",
               signal_number == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM",
               !output               ? "above"
               : study_plan.is_study ? fmt::format("in {} (status \"interrupted\"; --resume finishes the study)",
                                                   options.output_directory)
                                     : fmt::format("in {} (status \"interrupted\")", options.output_directory));
    return 128 + signal_number;
  }
  int code = exit_ok;
  if (!study_plan.is_study) {
    for (const auto& arm : outcomes.front().record.arms)
      if (arm.result.status == bnrun::train::RunStatus::diverged) {
        fmt::print(stderr,
                   "error: {} diverged at epoch {} (the loss or the weights are not finite); try a smaller "
                   "training.optimizer.learning_rate\n",
                   arm.arm, arm.result.diverged_epoch);
        code = exit_user_error;
      }
  } else {
    const auto problems = std::count_if(outcomes.begin(), outcomes.end(), has_problem);
    if (problems > 0) {
      fmt::print(stderr, "error: {} of {} runs failed or diverged (listed above)\n", problems, outcomes.size());
      code = exit_user_error;
    }
  }
  return code;
}

int run_validate(const Options& options) {
  const auto study_plan = plan(options);
  print_stdout(bnrun::config::to_json(study_plan.runs.front().config).dump(2) + "\n");
  if (study_plan.is_study)
    spdlog::info("{}: config is valid; {} runs (the config above is run 1; see --dry-run)", options.config_path,
                 study_plan.runs.size());
  else
    spdlog::info("{}: config is valid", options.config_path);
  return exit_ok;
}

int run_summary(const Options& options) {
  const auto study_plan = plan(options);
  const auto& config = study_plan.runs.front().config;
  const auto data = bnrun::data::prepare_data(config.dataset, config.training.seed);
  try {
    bnrun::config::check_against_data(config, data.class_names.size());
  } catch (const bnrun::KeyPathError& error) {
    throw bnrun::UserError(fmt::format("{}: {}", options.config_path, error.what()));
  }
  for (const auto& arm : config.experiment.arms) {
    const auto spec = bnrun::config::model_spec(config, data.feature_names.size(), arm);
    const bnrun::nn::Model<float> model(spec, config.training.seed);
    print_stdout(bnrun::report::summary_table(fmt::format("model \"{}\", variant {}", config.name, arm.name),
                     model.summary(), spec.inputs) +
                 "\n");
  }
  return exit_ok;
}

int run_predict(const ModelOptions& options) {
  const auto file = bnrun::modelio::read_model_file(options.model_path);
  auto model = bnrun::modelio::build_model(file);
  const auto predictions = bnrun::modelio::predict_csv(*model, file, options.data_path);
  const std::string text = bnrun::modelio::predictions_csv(predictions);
  if (options.output_path.empty()) {
    print_stdout(text);
  } else {
    bnrun::write_file_atomically(options.output_path, text);
    spdlog::info("wrote {} predictions to {}", predictions.predicted.size(), options.output_path);
  }
  return exit_ok;
}

int run_eval(const ModelOptions& options) {
  const auto file = bnrun::modelio::read_model_file(options.model_path);
  auto model = bnrun::modelio::build_model(file);
  const auto evaluation = bnrun::modelio::evaluate_csv(*model, file, options.data_path);
  if (options.json) {
    print_stdout(nlohmann::ordered_json{{"model", options.model_path},
                                        {"data", options.data_path},
                                        {"accuracy", evaluation.accuracy},
                                        {"loss", evaluation.loss}}
                     .dump() +
                 "\n");
  } else {
    print_stdout(fmt::format("{} (variant {}, seed {}) on {}\naccuracy   {:.4f}\nloss       {:.4f}\n",
                             options.model_path, file.metadata.arm, file.metadata.seed,
                             options.data_path, evaluation.accuracy, evaluation.loss));
  }
  return exit_ok;
}

struct ClaimsOptions {
  std::vector<std::string> configs;
  std::string document = "docs/CLAIMS.md";
};

// `bnrun claims`: runs each claim config as a study, judges it by the rule in study/claims.h, and writes one
// markdown document with the verdicts, numbers and plots (copied beside the document, in claims/).
int run_claims(const Options& options, const ClaimsOptions& claims_options) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  struct Planned {
    std::string path;
    bnrun::study::Plan plan;
    bnrun::study::Claim claim;
  };
  std::vector<Planned> planned;
  for (const auto& path : claims_options.configs) {  // every config is checked before anything runs
    bnrun::study::PlanRequest request;
    request.config_path = path;
    request.overrides = options.overrides;
    auto study_plan = bnrun::study::make_plan(request);
    if (study_plan.claim.is_null()) throw bnrun::UserError(fmt::format("{}: has no \"claim\" section", path));
    auto claim = bnrun::study::parse_claim(study_plan.claim, path);
    planned.push_back({path, std::move(study_plan), std::move(claim)});
  }
  const std::string output_root = options.output_directory.empty() ? "out/claims" : options.output_directory;
  const fs::path document(claims_options.document);
  const fs::path plot_folder = document.parent_path() / "claims";
  fs::create_directories(plot_folder);
  const auto environment =
      bnrun::report::current_environment(bnrun::kernels::thread_count(), bnrun::kernels::matmul_backend_description());
  std::vector<bnrun::study::ClaimJudgement> judgements;
  std::string sections;
  for (const auto& [path, study_plan, claim] : planned) {
    const std::string stem = fs::path(path).stem().string();
    const std::string output = (fs::path(output_root) / stem).string();
    bnrun::study::prepare_output_folder(output, true, false);
    spdlog::info("{}: {} runs", claim.title, study_plan.runs.size());
    Progress progress(study_plan, ::isatty(STDERR_FILENO) != 0 && !options.quiet);
    bnrun::study::RunnerObserver observer;
    observer.on_epoch = [&](const auto& run, const auto& arm, const auto& record) {
      progress.epoch(run, arm, record);
    };
    bnrun::study::RunnerOptions runner_options;
    runner_options.jobs = options.jobs;
    runner_options.threads = options.threads;
    runner_options.output_directory = output;
    runner_options.should_stop = stop_requested;
    const auto outcomes = bnrun::study::run_plan(study_plan, runner_options, observer);
    progress.clear();
    if (stop_requested()) break;
    bnrun::study::write_study_outputs(output, study_plan, outcomes, environment, options.command_line);
    auto judgement = bnrun::study::judge_claim(claim, study_plan, outcomes);
    // The plots the document shows: the sweep plots, or the learning curves when nothing is swept.
    const auto groups = bnrun::study::summarize_groups(study_plan, outcomes);
    std::vector<std::string> plot_files;
    for (const auto& figure : bnrun::study::study_figures(study_plan, outcomes, groups)) {
      const bool wanted = study_plan.axes.empty() ? figure.file == "plots/learning_curves.svg"
                                                  : figure.file.rfind("plots/sweep_", 0) == 0;
      if (!wanted) continue;
      const std::string name = fmt::format("{}_{}", stem, fs::path(figure.file).filename().string());
      bnrun::write_file_atomically((plot_folder / name).string(), bnrun::plot::render_svg(figure.figure));
      plot_files.push_back("claims/" + name);
    }
    sections += bnrun::study::claim_markdown(judgement, study_plan, plot_files);
    spdlog::info("{}: {} ({})", claim.title, bnrun::study::verdict_name(judgement.verdict), judgement.reason);
    judgements.push_back(std::move(judgement));
  }
  if (const int signal_number = received_signal.load()) {
    fmt::print(stderr, "error: interrupted by {}; {} not written\n",
               signal_number == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM", claims_options.document);
    return 128 + signal_number;
  }
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
  bnrun::write_file_atomically(
      claims_options.document, bnrun::study::claims_preamble(judgements, "scripts/claims.sh", minutes) + sections);
  std::vector<std::vector<std::string>> rows = {{"claim", "verdict", "why"}};
  for (const auto& judgement : judgements)
    rows.push_back(
        {judgement.claim.title, std::string(bnrun::study::verdict_name(judgement.verdict)), judgement.reason});
  print_stdout(bnrun::report::align_columns(rows, {0, 1, 2}));
  spdlog::info("wrote {} ({:.1f} min)", claims_options.document, minutes);
  return exit_ok;
}

int run_compare(const std::vector<std::string>& paths) {
  print_stdout(bnrun::study::comparison_across_runs(bnrun::study::read_compared_runs(paths)));
  return exit_ok;
}

std::string quoted_command_line(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i) {
    std::string argument = i == 0 ? "bnrun" : argv[i];
    const bool plain = !argument.empty() && argument.find_first_of(" \t\"'[]{}$*?;&|<>()\\") == std::string::npos;
    if (!plain) {
      std::string escaped = "'";
      for (const char c : argument) escaped += c == '\'' ? std::string("'\\''") : std::string(1, c);
      argument = escaped + "'";
    }
    text += (i == 0 ? "" : " ") + argument;
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bnrun: train an MLP with and without BatchNorm from one JSON config, from the same seed, and compare them;\n"
      "over many seeds and sweeps of any config key when asked. Prints a table on stdout, logs on stderr.\n"
      "Exit codes: 0 ok, 2 bad command line / config / data, or a run that failed or diverged; 1 internal error.",
      "bnrun"};
  app.set_version_flag("--version", BNRUN_VERSION);
  app.footer(
      "\nExamples:\n"
      "  bnrun -c configs/iris_bn.json                         train bn and no_bn, print the comparison\n"
      "  bnrun -c configs/iris_bn.json -o out/iris             ... and write results.json, report.md, plots\n"
      "  bnrun -c configs/iris_bn.json --seeds 10 -o out/seeds mean ± std over 10 seeds, paired bn - no_bn\n"
      "  bnrun -c configs/iris_bn.json --sweep training.batch_size=8,32 --sweep "
      "training.optimizer.learning_rate=0.001,0.01 \\\n"
      "        --seeds 5 -j 2 -o out/grid                      a 2 × 2 grid, 5 seeds each, two runs at a time\n"
      "  bnrun -c configs/iris_bn.json --set training.seed=7 --set model.layers[1].momentum=0.9\n"
      "  bnrun -c configs/iris_bn.json -o out/m --save-model   ... then: bnrun eval --model out/m/model_bn.json --data "
      "out/m/test.csv\n"
      "  bnrun compare out/iris out/grid                       one table, only the settings that differ\n"
      "  bnrun validate -c configs/iris_bn.json                print the resolved config\n"
      "  bnrun summary -c configs/iris_bn.json                 layer table with parameter counts");
  Options options;
  app.add_option("-c,--config", options.config_path, "JSON experiment config (see configs/ and docs/CONFIG.md)")
      ->type_name("FILE");
  app.add_option("-o,--output", options.output_directory,
                 "folder for the results: results.json, history, report.md, plots/; with seeds or a sweep one "
                 "folder per run plus summary.json, summary.csv")
      ->type_name("DIR");
  app.add_option("-s,--set", options.overrides,
                 "override a config key, e.g. --set training.batch_size=64 --set model.layers[1].momentum=0.9")
      ->type_name("KEY=VALUE")
      ->take_last()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--sweep", options.sweeps,
                 "run every value of a config key, e.g. --sweep training.batch_size=8,16,32; repeat for a grid "
                 "(the product); adds to the config's \"sweep\" section")
      ->type_name("KEY=V1,V2,...")
      ->take_last()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--seeds", options.seeds,
                 "run each setting with N seeds (training.seed, +1, ...) or the listed ones (1,5,9); reports mean ± "
                 "std and the paired bn - no_bn difference with a 95 % interval")
      ->type_name("N|S1,S2,...");
  app.add_option("-j,--jobs", options.jobs, "train this many runs at once; they share the threads (default 1)")
      ->check(CLI::Range(1, 256));
  app.add_flag("--dry-run", options.dry_run, "list the runs a sweep or seed list expands to; train nothing");
  app.add_flag("--overwrite", options.overwrite, "replace the results in an existing --output folder");
  app.add_flag("--resume", options.resume, "keep the finished runs in --output and run only the missing ones");
  app.add_flag("--save-model", options.save_model,
               "also write model_<arm>.json (weights, BN statistics, scaler, labels) and the test rows (test.csv)");
  app.add_option("--init-from", options.init_from,
                 "start every arm from the weights in this model file instead of the seeded initialization")
      ->type_name("MODEL");
  app.add_option("--arms", options.arms,
                 "the arms to train, by name: the config's (experiment.arms) or an arm kind (" + arm_kinds_text() +
                     "); default: the config's arms")
      ->delimiter(',')
      ->type_name("A,B,...");
  app.add_option("--variant", options.variant, "bn, no_bn or both: the same as --arms bn, --arms no_bn, --arms bn,no_bn")
      ->check(CLI::IsMember({"bn", "no_bn", "both"}))
      ->excludes("--arms");
  app.add_option("-t,--threads", options.threads, "threads in all (default: every core); results do not depend on it")
      ->check(CLI::Range(1, 1024));
  app.add_flag("-q,--quiet", options.quiet, "print only the result table and errors");
  app.add_flag("-v,--verbose", options.verbose, "log every epoch");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  auto* validate =
      app.add_subcommand("validate", "check a config and print it with every default filled in; trains nothing");
  auto* summary = app.add_subcommand("summary", "print each variant's layers, output shapes and parameter counts");
  ModelOptions model_options;
  auto* predict = app.add_subcommand("predict", "predict a CSV's rows with a saved model (--save-model)");
  predict->add_option("-m,--model", model_options.model_path, "model file written by --save-model")
      ->type_name("MODEL")
      ->required();
  predict->add_option("-d,--data", model_options.data_path, "CSV with the model's feature columns (by name)")
      ->type_name("CSV")
      ->required();
  predict
      ->add_option("-o,--output", model_options.output_path,
                   "write the predictions here (default: stdout): row,predicted,p_<class>...")
      ->type_name("CSV");
  ModelOptions eval_options;
  auto* eval = app.add_subcommand("eval", "test accuracy and loss of a saved model on a labelled CSV");
  eval->add_option("-m,--model", eval_options.model_path, "model file written by --save-model")
      ->type_name("MODEL")
      ->required();
  eval->add_option("-d,--data", eval_options.data_path, "CSV with the feature columns and the target column")
      ->type_name("CSV")
      ->required();
  eval->add_flag("--json", eval_options.json, "print {\"accuracy\", \"loss\"} as JSON with full precision");
  std::vector<std::string> compare_paths;
  auto* compare = app.add_subcommand("compare", "one table across finished runs, showing the settings that differ");
  compare->add_option("paths", compare_paths, "output folders (or results files) of earlier runs")
      ->type_name("DIR")
      ->required();
  ClaimsOptions claims_options;
  auto* claims = app.add_subcommand(
      "claims",
      "run claim configs (configs/claims/*.json; -o default out/claims) and write a document with the "
      "numbers, plots and a verdict per claim");
  claims->add_option("configs", claims_options.configs, "claim configs: studies with a \"claim\" section")
      ->type_name("CONFIG")
      ->required();
  claims
      ->add_option("--doc", claims_options.document, "the markdown document to write (plots go beside it, in claims/)")
      ->type_name("FILE");
  for (auto* subcommand : {validate, summary, predict, eval, compare, claims}) subcommand->fallthrough();
  app.require_subcommand(0, 1);
  app.failure_message([](const CLI::App*, const CLI::Error& error) {
    return fmt::format("error: {} (see bnrun --help)\n", error.what());
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? exit_ok : exit_user_error;
  }
  options.command_line = quoted_command_line(argc, argv);

  try {
    configure_logging(options);
    install_stop_handlers();
    bnrun::kernels::set_thread_count(options.threads);
    if (validate->parsed()) return run_validate(options);
    if (summary->parsed()) return run_summary(options);
    if (predict->parsed()) return run_predict(model_options);
    if (eval->parsed()) return run_eval(eval_options);
    if (compare->parsed()) return run_compare(compare_paths);
    if (claims->parsed()) return run_claims(options, claims_options);
    return run_training(options);
  } catch (const bnrun::UserError& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return exit_user_error;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of memory\n");
    return exit_internal_error;
  } catch (const std::exception& error) {
    fmt::print(stderr, "internal error: {}\n", error.what());
    return exit_internal_error;
  }
}
