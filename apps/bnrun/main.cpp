// bnrun's command line: parses arguments, calls the library, maps errors to exit codes (0 ok, 1 internal error,
// 2 bad usage, config or data, or a diverged run). Everything it prints about a run comes from lib/report.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "config/load.h"
#include "core/error.h"
#include "data/dataset.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "nn/model.h"
#include "report/results.h"
#include "report/table.h"
#include "train/experiment.h"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_internal_error = 1;
constexpr int exit_user_error = 2;

struct Options {
  std::string config_path;
  std::string output_directory;
  std::vector<std::string> overrides;
  std::string variant = "";
  int threads = 0;
  bool quiet = false;
  bool verbose = false;
  std::string log_level;
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

bnrun::config::Config load(const Options& options) {
  std::vector<std::string> overrides = options.overrides;
  if (options.variant == "bn") overrides.push_back("experiment.variants=[\"bn\"]");
  if (options.variant == "no_bn") overrides.push_back("experiment.variants=[\"no_bn\"]");
  if (options.variant == "both") overrides.push_back("experiment.variants=[\"bn\",\"no_bn\"]");
  return bnrun::config::load_config(options.config_path, overrides);
}

bnrun::data::PreparedData load_data(const bnrun::config::Config& config) {
  const auto& dataset = config.dataset;
  spdlog::debug("reading {}",
                dataset.has_separate_test_file() ? dataset.train_path + " and " + dataset.test_path : dataset.path);
  bnrun::data::PreparedData data = bnrun::data::prepare_data(dataset, config.training.seed);
  bnrun::config::check_against_data(config, data.class_names.size());
  std::string classes;
  for (std::size_t k = 0; k < data.class_names.size(); ++k)
    classes += fmt::format("{}{}={}", k == 0 ? "" : ", ", data.class_names[k], k);
  spdlog::info("{} classes: {}", data.class_names.size(), classes);
  return data;
}

int run_training(const Options& options) {
  const auto config = load(options);
  const auto load_start = std::chrono::steady_clock::now();
  const auto data = load_data(config);
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  if (!options.output_directory.empty()) bnrun::report::prepare_output_folder(options.output_directory);

  // Progress: epoch lines on a terminal every few seconds (long runs), at debug level otherwise.
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  auto last_progress = std::chrono::steady_clock::now();
  bnrun::train::ExperimentObserver observer;
  observer.on_variant_start = [&](bnrun::config::Variant variant) {
    spdlog::info("training {} for {} epoch{}", bnrun::config::variant_name(variant), config.training.epochs,
                 config.training.epochs == 1 ? "" : "s");
  };
  observer.on_epoch = [&](bnrun::config::Variant variant, const bnrun::train::EpochRecord& record) {
    const auto now = std::chrono::steady_clock::now();
    const bool due = terminal && now - last_progress > std::chrono::seconds(2);
    if (due) last_progress = now;
    const std::string validation = record.validation ? fmt::format(", val loss {:.4f}, val acc {:.4f}",
                                                                   record.validation->loss, record.validation->accuracy)
                                                     : "";
    spdlog::log(due ? spdlog::level::info : spdlog::level::debug,
                "{} epoch {}/{}: loss {:.4f}, acc {:.4f}{} ({:.0f} ms)", bnrun::config::variant_name(variant),
                record.epoch, config.training.epochs, record.train_loss, record.train_accuracy, validation,
                record.seconds * 1000.0);
  };
  observer.on_variant_end = [&](const bnrun::train::VariantRun& run) {
    if (run.result.skipped_single_row_batches > 0)
      spdlog::warn(
          "{}: skipped the trailing batch of one row in each epoch ({} in all): BatchNorm needs 2 or more rows",
          bnrun::config::variant_name(run.variant), run.result.skipped_single_row_batches);
  };
  const auto runs = bnrun::train::run_experiment(config, data, observer);

  const bnrun::report::ExperimentReport report{
      config, data, runs,
      bnrun::report::current_environment(bnrun::kernels::thread_count(), bnrun::kernels::matmul_backend_description()),
      load_seconds};
  if (!options.output_directory.empty()) {
    bnrun::report::write_results(options.output_directory, report);
    spdlog::info("wrote {}/results.json", options.output_directory);
  }
  fmt::print("{}", bnrun::report::comparison_table(report));
  std::fflush(stdout);
  int code = exit_ok;
  for (const auto& run : runs)
    if (run.result.status == bnrun::train::RunStatus::diverged) {
      fmt::print(
          stderr,
          "error: {} diverged at epoch {} (the loss is not finite); try a smaller training.optimizer.learning_rate\n",
          bnrun::config::variant_name(run.variant), run.result.diverged_epoch);
      code = exit_user_error;
    }
  return code;
}

int run_validate(const Options& options) {
  const auto config = load(options);
  fmt::print("{}\n", bnrun::config::to_json(config).dump(2));
  spdlog::info("{}: config is valid", options.config_path);
  return exit_ok;
}

int run_summary(const Options& options) {
  const auto config = load(options);
  const auto data = load_data(config);
  for (const auto variant : config.experiment.variants) {
    const auto spec = bnrun::config::model_spec(config, data.feature_names.size(), variant);
    const bnrun::nn::Model<float> model(spec, config.training.seed);
    fmt::print("{}\n", bnrun::report::summary_table(
                           fmt::format("model \"{}\", variant {}", config.name, bnrun::config::variant_name(variant)),
                           model.summary(), spec.inputs));
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bnrun: train an MLP with and without BatchNorm from one JSON config, from the same seed, and compare them.\n"
      "Prints a table (test accuracy and loss, best validation accuracy, epochs, time) on stdout, logs on stderr.\n"
      "Exit codes: 0 ok, 2 bad command line / config / data or a diverged run, 1 internal error.",
      "bnrun"};
  app.set_version_flag("--version", BNRUN_VERSION);
  app.footer(
      "\nExamples:\n"
      "  bnrun -c configs/iris_bn.json                         train bn and no_bn, print the comparison\n"
      "  bnrun -c configs/iris_bn.json -o out/iris             ... and write out/iris/results.json\n"
      "  bnrun -c configs/iris_bn.json --set training.seed=7 --set model.layers[1].momentum=0.9\n"
      "  bnrun validate -c configs/iris_bn.json                print the resolved config\n"
      "  bnrun summary -c configs/iris_bn.json                 layer table with parameter counts");
  Options options;
  app.add_option("-c,--config", options.config_path, "JSON experiment config (see configs/ and docs/CONFIG.md)")
      ->type_name("FILE")
      ->required();
  app.add_option("-o,--output", options.output_directory,
                 "folder for results.json and history_<variant>.csv (created if needed)")
      ->type_name("DIR");
  app.add_option("-s,--set", options.overrides,
                 "override a config key, e.g. --set training.batch_size=64 --set model.layers[1].momentum=0.9")
      ->type_name("KEY=VALUE")
      ->take_last()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--variant", options.variant,
                 "which networks to train: bn (as written), no_bn (BatchNorm removed), both")
      ->check(CLI::IsMember({"bn", "no_bn", "both"}));
  app.add_option("-t,--threads", options.threads, "OpenMP threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 1024));
  app.add_flag("-q,--quiet", options.quiet, "print only the result table and errors");
  app.add_flag("-v,--verbose", options.verbose, "log every epoch");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  auto* validate =
      app.add_subcommand("validate", "check a config and print it with every default filled in; trains nothing");
  auto* summary = app.add_subcommand("summary", "print each variant's layers, output shapes and parameter counts");
  validate->fallthrough();
  summary->fallthrough();
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

  try {
    configure_logging(options);
    bnrun::kernels::set_thread_count(options.threads);
    if (validate->parsed()) return run_validate(options);
    if (summary->parsed()) return run_summary(options);
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
