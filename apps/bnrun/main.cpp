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
#include <csignal>
#include <cstdio>
#include <cstring>

#include "config/load.h"
#include "core/error.h"
#include "experiment/arms.h"
#include "kernels/parallel.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "study/claims.h"
#include "study/compare.h"
#include "core/files.h"
#include "study/plan.h"
#include "study/outputs.h"
#include "study/session.h"

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

// "bn (the model as written; ...), no_bn (...)": for --help.
std::string arm_kinds_text() {
  std::string text;
  for (const auto& kind : bnrun::experiment::arm_kinds()) text += fmt::format("{}{}", text.empty() ? "" : ", ", kind.name);
  return text;
}

std::string interruption_text(int signal_number) {
  return signal_number == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM";
}

int run_training(const Options& options) {
  bnrun::study::SessionRequest request;
  request.plan = plan(options);
  if (options.dry_run) {
    print_stdout(bnrun::study::plan_table(request.plan));
    return exit_ok;
  }
  request.output_directory = options.output_directory;
  request.jobs = options.jobs;
  request.threads = options.threads;
  request.overwrite = options.overwrite;
  request.resume = options.resume;
  request.save_models = options.save_model;
  request.init_from = options.init_from;
  request.command_line = options.command_line;
  request.live_progress = ::isatty(STDERR_FILENO) != 0 && !options.quiet;
  request.should_stop = stop_requested;
  const auto result = bnrun::study::run_session(request);
  print_stdout(result.table);

  const bool study = request.plan.is_study;
  if (const int signal_number = received_signal.load()) {
    fmt::print(stderr, "error: interrupted by {}; the results so far are {}\n", interruption_text(signal_number),
               options.output_directory.empty()
                   ? "above"
               : study ? fmt::format("in {} (status \"interrupted\"; --resume finishes the study)",
                                     options.output_directory)
                       : fmt::format("in {} (status \"interrupted\")", options.output_directory));
    return 128 + signal_number;
  }
  for (const auto& divergence : result.divergences)
    fmt::print(stderr,
               "error: {} diverged at epoch {} (the loss or the weights are not finite); try a smaller "
               "training.optimizer.learning_rate\n",
               divergence.arm, divergence.epoch);
  if (result.runs_with_problems > 0)
    fmt::print(stderr, "error: {} of {} runs failed or diverged (listed above)\n", result.runs_with_problems,
               result.outcomes.size());
  return result.divergences.empty() && result.runs_with_problems == 0 ? exit_ok : exit_user_error;
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
  print_stdout(bnrun::study::model_summaries(plan(options)));
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
  bnrun::study::ClaimsRequest request;
  request.configs = claims_options.configs;
  request.overrides = options.overrides;
  if (!options.output_directory.empty()) request.output_root = options.output_directory;
  request.document = claims_options.document;
  request.jobs = options.jobs;
  request.threads = options.threads;
  request.live_progress = ::isatty(STDERR_FILENO) != 0 && !options.quiet;
  request.command_line = options.command_line;
  request.should_stop = stop_requested;
  const auto result = bnrun::study::run_claims(request);
  if (const int signal_number = received_signal.load(); result.interrupted && signal_number != 0) {
    fmt::print(stderr, "error: interrupted by {}; {} not written\n", interruption_text(signal_number),
               claims_options.document);
    return 128 + signal_number;
  }
  print_stdout(result.table);
  spdlog::info("wrote {} ({:.1f} min)", claims_options.document, result.minutes);
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
      "  bnrun -c configs/iris_bn.json --seeds 5 --set 'experiment.arms=[\"bn\",\"no_bn\",{\"name\":\"bn_m09\",\"kind\":\"bn\","
      "\"momentum\":0.9}]'\n"
      "                                                        a third arm, paired against no_bn like bn\n"
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
