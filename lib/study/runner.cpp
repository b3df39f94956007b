#include "study/runner.h"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "core/json_text.h"
#include "core/json_reader.h"
#include "core/error.h"
#include "core/folder_lock.h"
#include "core/resources.h"
#include "core/text.h"
#include "data/dataset.h"
#include "data/dataset_cache.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "core/files.h"
#include "results/codec.h"
#include "report/results.h"
#include "study/replacement.h"
#include "train/memory.h"

namespace bnrun::study {

namespace {

// Run folders written at once in the background (core/files.h, BackgroundWriter): with four, the disk's flushes
// overlap enough that a 200-run iris study's writing fits in its training time on two cores.
constexpr std::size_t folder_writer_threads = 4;

using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

// The record of a finished run, or nothing when the file is absent, is not JSON or (unless `keep_interrupted`) was
// interrupted: --resume runs those again. A file that is JSON but not a results document is the user's to look at
// (a UserError).
std::optional<results::RunRecord> read_result(const fs::path& file, bool keep_interrupted = false) {
  const auto text = read_file_if_readable(file.string());
  if (!text) return std::nullopt;
  ordered_json document;
  try {
    document = parse_ordered_json_text(*text, file.string());
  } catch (const UserError&) {
    return std::nullopt;
  }
  results::RunRecord record = results::run_record_from_json(document, file.string());
  if (!keep_interrupted)
    for (const auto& arm : record.arms)
      if (arm.result.status == train::RunStatus::interrupted) return std::nullopt;
  return record;
}

fs::path result_file(const Plan& plan, const PlannedRun& run, const std::string& output_directory) {
  return fs::path(run_directory(plan, run, output_directory)) / (plan.is_study ? "result.json" : "results.json");
}

// history.csv of a run folder: the per-variant history tables, one after the other, with a variant column first.
std::string combined_history_csv(const std::vector<results::ArmRecord>& arms) {
  std::string text;
  for (const auto& run : arms) {
    std::istringstream lines(report::history_csv(run.result));
    std::string line;
    bool header = true;
    while (std::getline(lines, line)) {
      if (header) {
        if (text.empty()) text += "variant," + line + "\n";
        header = false;
        continue;
      }
      text += fmt::format("{},{}\n", run.arm, line);
    }
  }
  return text;
}

ordered_json settings_json(const PlannedRun& run) {
  ordered_json settings = ordered_json::object();
  for (const auto& setting : run.settings) settings[setting.key_path] = setting.value;
  return settings;
}

// model_<arm>.json for every arm that kept its model, then test.csv: each on its own, so one that cannot be
// written (a diverged arm's, a full disk) costs only itself.
void save_models(IndependentWrites& writes, const fs::path& directory, const PlannedRun& run,
                 const data::PreparedData& data, const std::vector<train::ArmRun>& runs) {
  for (const auto& arm_run : runs) {
    if (!arm_run.result.model) continue;
    modelio::ModelMetadata metadata;
    metadata.arm = arm_run.arm;
    metadata.seed = run.seed;
    metadata.loss = config::effective_loss(run.config);
    metadata.feature_names = data.feature_names;
    metadata.target = run.config.dataset.target;
    metadata.delimiter = data.delimiter;
    metadata.class_names = data.class_names;
    if (run.config.dataset.standardize != data::Standardize::none) metadata.scaler = data.standardizer;
    metadata.target_scaling = data.target_scaling;
    metadata.huber_delta = run.config.training.huber_delta;
    const auto spec = config::model_spec(run.config, data.feature_names.size(), data.class_names.size(),
                                         *run.config.experiment.arm(arm_run.arm));
    writes.attempt([&] {
      modelio::save_model((directory / fmt::format("model_{}.json", arm_run.arm)).string(), spec,
                          *arm_run.result.model, metadata);
    });
  }
  writes.write((directory / "test.csv").string(),
               modelio::split_csv(data.feature_names, run.config.dataset.target, data.class_names,
                                  data.unscaled_test_features, data.test.labels, data.test.targets));
}

// What a trained run's folder is written from, owned by the job that writes it while the next runs train.
struct RunFolder {
  results::RunRecord record;        // what result.json holds (a copy: the runner keeps the outcome's)
  std::vector<train::ArmRun> arms;  // with --save-model: the trained models
  data::PreparedData data;          // with --save-model: the names, the scaler and the test rows
};

// What writing a run's folder came to: the files that could not be written, each "<path>: cannot write: <reason>",
// or the message of an error that stopped the writing (it fails the run, as it did when the runs wrote their
// folders themselves).
struct FolderWritten {
  std::vector<std::string> unwritten;
  std::optional<std::string> error;
};

// Every file of a trained run's folder. A file that cannot be written is recorded and the rest are still written:
// the run trained, and what it produced is kept. result.json (a study's) or results.json (a single run's) comes
// last, so a folder that has one holds everything else that could be written.
std::vector<std::string> write_run_folder(RunFolder& folder, const Plan& plan, const PlannedRun& run,
                                          const RunnerOptions& options) {
  const fs::path directory = run_directory(plan, run, options.output_directory);
  IndependentWrites writes;
  const bool folder_made = writes.attempt([&] {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error)
      throw UserError(fmt::format("{}: cannot create the run folder: {}", directory.string(), error.message()));
  });
  if (folder_made) {
    // The record holds the run's resolved config already (config::to_json(run.config)).
    writes.write((directory / "config.json").string(), folder.record.config.dump(2) + "\n");
    if (options.save_models) save_models(writes, directory, run, folder.data, folder.arms);
    if (plan.is_study) {
      writes.write((directory / "history.csv").string(), combined_history_csv(folder.record.arms));
      writes.write((directory / "result.json").string(), results::to_json(folder.record).dump(2) + "\n");
    } else {
      for (const auto& arm : folder.record.arms)
        writes.write((directory / fmt::format("history_{}.csv", arm.arm)).string(), report::history_csv(arm.result));
      writes.write((directory / "results.json").string(), results::to_json(folder.record).dump(2) + "\n");
    }
  }
  return writes.failures();
}

// Hands a trained run's folder to `writer`; what the writing came to goes to `written`.
void write_in_background(BackgroundWriter& writer, FolderWritten& written, RunFolder&& contents, const Plan& plan,
                         const PlannedRun& run, const RunnerOptions& options) {
  // std::function needs a copyable job: the folder's contents travel in a shared_ptr.
  auto folder = std::make_shared<RunFolder>(std::move(contents));
  writer.submit([folder, &written, &plan, &run, &options] {
    try {
      written.unwritten = write_run_folder(*folder, plan, run, options);
    } catch (...) {
      written.error = failure_message(std::current_exception());
    }
  });
}

void check_against_data_naming_the_config(const Plan& plan, const config::Config& config,
                                          const std::vector<std::string>& class_names, std::size_t feature_count) {
  try {
    config::check_against_data(config, class_names.size(), feature_count);
    config::check_class_weight_labels(config, class_names);
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", plan.config_path, error.what()));
  }
}

// Refuses, before the model is built, a network whose training would not fit in the memory left (with the
// data already loaded), naming the estimate.
void require_memory(const config::Config& config, const data::PreparedData& data, const std::string& config_path) {
  const std::size_t available = available_memory_bytes();
  const auto rows = train::batch_rows_for(static_cast<std::size_t>(config.training.batch_size), data.train.rows(),
                                          std::max({data.train.rows(), data.validation.rows(), data.test.rows()}));
  for (const auto& arm : config.experiment.arms) {
    const auto estimate = train::estimate_training_memory(
        config::model_spec(config, data.feature_names.size(), data.class_names.size(), arm), rows,
        config.training.optimizer);
    if (available > 0 && estimate.total_bytes() > static_cast<double>(available))
      throw UserError(fmt::format(
          "{}: model.layers: the {} network needs about {} to train ({:.3g} parameters: {} for weights, gradients and "
          "optimizer state; "
          "{} for activations), more than the {} of memory available",
          config_path, arm.name, format_bytes(estimate.total_bytes()), estimate.parameters,
          format_bytes(estimate.parameter_bytes), format_bytes(estimate.activation_bytes),
          format_bytes(static_cast<double>(available))));
  }
}

// Trains a run and, with an output folder, hands its folder to `writer` (the outcome of that goes to `written`).
RunOutcome execute(const Plan& plan, const PlannedRun& run, const RunnerOptions& options,
                   const kernels::Compute& compute, const report::Environment& environment,
                   data::DatasetCache& data_cache, const std::optional<modelio::ModelFile>& initial_model,
                   const RunnerObserver& observer, std::mutex& observer_mutex, BackgroundWriter* writer,
                   FolderWritten& written) {
  RunOutcome outcome;
  const config::Config& config = run.config;
  const auto load_start = std::chrono::steady_clock::now();
  data::PreparedData data = data_cache.prepare(config.dataset, config.training.seed, options.save_models);
  check_against_data_naming_the_config(plan, config, data.class_names, data.feature_names.size());
  if (initial_model)
    modelio::require_same_columns(*initial_model, data.feature_names, data.class_names, data.files.front().path);
  require_memory(config, data, plan.config_path);
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  if (observer.on_data_ready) {
    const std::lock_guard lock(observer_mutex);
    observer.on_data_ready(run, data);
  }
  train::ExperimentObserver experiment_observer;
  if (observer.on_arm_start)
    experiment_observer.on_arm_start = [&](const std::string& arm) {
      const std::lock_guard lock(observer_mutex);
      observer.on_arm_start(run, arm);
    };
  if (observer.on_epoch)
    experiment_observer.on_epoch = [&](const std::string& arm, const train::EpochRecord& record) {
      const std::lock_guard lock(observer_mutex);
      observer.on_epoch(run, arm, record);
    };
  if (observer.on_arm_end)
    experiment_observer.on_arm_end = [&](const train::ArmRun& arm_run) {
      const std::lock_guard lock(observer_mutex);
      observer.on_arm_end(run, arm_run);
    };
  train::ExperimentOptions experiment_options;
  experiment_options.compute = compute;
  experiment_options.keep_models = options.save_models;
  experiment_options.should_stop = options.should_stop;
  if (initial_model)
    experiment_options.initialize = [&](nn::Model<float>& model) { modelio::initialize_from(*initial_model, model); };
  auto runs = train::run_experiment(config::arm_recipes(config, data.feature_names.size(), data.class_names.size()),
                                    data, experiment_observer,
                                    experiment_options);

  const report::ExperimentReport report{config, data, runs, environment, load_seconds};
  outcome.record = report::run_record(report);
  if (plan.is_study) outcome.record.place = results::StudyPlace{run.index, run.folder, settings_json(run)};
  outcome.state = RunState::finished;

  if (writer) {
    RunFolder folder{outcome.record, {}, {}};
    if (options.save_models) {
      folder.arms = std::move(runs);
      // The model files and test.csv need the names, the scaler and the test rows, not the training data.
      data.train = {};
      data.validation = {};
      data.test.features = {};
      folder.data = std::move(data);
    }
    write_in_background(*writer, written, std::move(folder), plan, run, options);
  }
  return outcome;
}

}  // namespace

std::string failure_message(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const UserError& error) {
    return error.what();
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const std::exception& error) {
    return fmt::format("internal error: {}", error.what());
  }
}

std::optional<results::RunRecord> read_run_result(const Plan& plan, const PlannedRun& run,
                                                  const std::string& output_directory, bool keep_interrupted) {
  return read_result(result_file(plan, run, output_directory), keep_interrupted);
}

std::string run_directory(const Plan& plan, const PlannedRun& run, const std::string& output_directory) {
  return plan.is_study ? (fs::path(output_directory) / run.folder).string() : output_directory;
}

void check_resumable(const Plan& plan, const std::string& output_directory, data::DatasetCache& data) {
  // The files as the runs will read them, once per dataset (a sweep may change dataset.path).
  std::map<std::string, std::vector<data::DataFile>> current_files;
  const auto files_of = [&](const data::DatasetConfig& dataset) -> const std::vector<data::DataFile>& {
    const std::string key = dataset.path + '\n' + dataset.train_path + '\n' + dataset.test_path;
    auto found = current_files.find(key);
    if (found == current_files.end()) found = current_files.emplace(key, data.files(dataset)).first;
    return found->second;
  };
  for (const auto& run : plan.runs) {
    const fs::path file = result_file(plan, run, output_directory);
    const auto record = read_result(file);
    if (!record) continue;
    if (record->config != config::to_json(run.config))
      throw UserError(
          fmt::format("{}: holds a run of a different config than run {} would be; use --overwrite to "
                      "start the study again",
                      file.parent_path().string(), run.index));
    // Same config, same path, other contents: the finished runs trained on data that is not there any more.
    // (Records written before data identity was recorded have no files to compare.)
    if (record->data.files.empty()) continue;
    const auto& now = files_of(run.config.dataset);
    for (std::size_t i = 0; i < now.size() && i < record->data.files.size(); ++i) {
      const auto& then = record->data.files[i];
      if (then.identity == now[i].identity) continue;
      throw UserError(fmt::format(
          "{}: changed since {} was trained on it ({} then, {} now); --resume would mix runs on different data: "
          "restore the file or use --overwrite to start the study again",
          now[i].path, file.parent_path().string(), describe(then.identity), describe(now[i].identity)));
    }
  }
}

void check_init_from(const Plan& plan, const modelio::ModelFile& init_from) {
  for (const auto& run : plan.runs)
    for (const auto& arm : run.config.experiment.arms) {
      // The data's width is not known before it is read; the file's is what the model must match anyway.
      nn::Model<float> model(
          config::model_spec(run.config, init_from.spec.inputs, init_from.metadata.class_names.size(), arm), run.seed);
      modelio::initialize_from(init_from, model);
    }
}

void check_shared_data(const Plan& plan, const modelio::ModelFile* init_from, data::DatasetCache& data) {
  // Each distinct dataset is read once, into the cache the runs then take their data from.
  std::optional<std::string> first_error;
  for (const auto& run : plan.runs) {
    const data::DatasetConfig& dataset = run.config.dataset;
    try {
      const data::DataColumns columns = data.columns(dataset);
      check_against_data_naming_the_config(plan, run.config, columns.class_names, columns.feature_names.size());
      if (init_from)
        modelio::require_same_columns(*init_from, columns.feature_names, columns.class_names,
                                      dataset.has_separate_test_file() ? dataset.train_path : dataset.path);
      return;  // one run can start: the others' failures (a sweep point's bad file) are theirs to report
    } catch (const UserError& error) {
      if (!first_error) first_error = error.what();
    }
  }
  if (first_error) throw UserError(*first_error);
}

void check_every_run_data(const Plan& plan, data::DatasetCache& data) {
  for (const auto& run : plan.runs) {
    const data::DataColumns columns = data.columns(run.config.dataset);
    check_against_data_naming_the_config(plan, run.config, columns.class_names, columns.feature_names.size());
  }
}

std::vector<RunOutcome> run_plan(const Plan& plan, const RunnerOptions& options, const RunnerObserver& observer) {
  std::vector<RunOutcome> outcomes(plan.runs.size());
  std::optional<modelio::ModelFile> initial_model;
  if (!options.init_from.empty()) initial_model = modelio::read_model_file(options.init_from);

  const int workers = std::max(1, std::min<int>(options.jobs, static_cast<int>(plan.runs.size())));
  kernels::Compute run_compute = options.compute;
  run_compute.threads = std::max(1, options.compute.threads / workers);
  data::DatasetCache own_data_cache(options.compute);
  data::DatasetCache& data_cache = options.data ? *options.data : own_data_cache;
  for (const auto& run : plan.runs) data_cache.expect_run(run.config.dataset);
  // The same for every run: asked once (the processor's name is a cpuid, slow in a virtual machine).
  const auto environment =
      report::current_environment(run_compute.threads, kernels::matmul_backend_description(run_compute.matmul));
  std::vector<FolderWritten> written(plan.runs.size());
  std::optional<BackgroundWriter> writer;
  if (!options.output_directory.empty()) writer.emplace(folder_writer_threads);
  std::atomic<std::size_t> next{0};
  std::mutex observer_mutex;
  // Held until the run's files are written (the writer finishes after the last run).
  std::vector<std::optional<FolderLock>> run_locks(plan.runs.size());
  const bool lock_runs = options.lock_runs && plan.is_study && !options.output_directory.empty();

  const auto take = [&]() -> std::optional<std::size_t> {
    if (options.next_run) return options.next_run();
    const std::size_t i = next++;
    return i < plan.runs.size() ? std::optional(i) : std::nullopt;
  };
  if (options.next_run)
    for (auto& outcome : outcomes) {
      outcome.state = RunState::not_run;
      outcome.error = trained_elsewhere;
    }

  auto work = [&] {
    while (const auto taken = take()) {
      const std::size_t i = *taken;
      const PlannedRun& run = plan.runs[i];
      RunOutcome& outcome = outcomes[i];
      if (lock_runs) {
        const std::string directory = run_directory(plan, run, options.output_directory);
        try {
          run_locks[i].emplace(FolderLock::acquire(directory));
          remove_leftovers(directory);
        } catch (const UserError& error) {
          data_cache.skip_run(run.config.dataset);
          outcome.state = RunState::not_run;
          outcome.error = dynamic_cast<const FolderHeldError*>(&error)
                              ? fmt::format("not run: another bnrun is training it ({})", run.folder)
                              : error.what();
          continue;
        }
      }
      if (options.resume && !options.output_directory.empty()) {
        if (auto record = read_result(result_file(plan, run, options.output_directory))) {
          data_cache.skip_run(run.config.dataset);
          outcome.state = RunState::resumed;
          outcome.record = std::move(*record);
          const std::lock_guard lock(observer_mutex);
          if (observer.on_run_end) observer.on_run_end(run, outcome);
          continue;
        }
      }
      if (options.should_stop && options.should_stop()) {
        data_cache.skip_run(run.config.dataset);
        outcome.state = RunState::not_run;
        outcome.error = "not run: interrupted";
        continue;
      }
      {
        const std::lock_guard lock(observer_mutex);
        if (observer.on_run_start) observer.on_run_start(run);
      }
      try {
        outcome = execute(plan, run, options, run_compute, environment, data_cache, initial_model, observer,
                          observer_mutex, writer ? &*writer : nullptr, written[i]);
      } catch (...) {
        outcome.state = RunState::failed;
        outcome.error = failure_message(std::current_exception());
      }
      const std::lock_guard lock(observer_mutex);
      if (observer.on_run_end) observer.on_run_end(run, outcome);
    }
  };

  if (workers == 1) {
    work();
  } else {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back(work);
    for (auto& thread : threads) thread.join();
  }
  if (writer) writer->finish();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (written[i].error) {
      outcomes[i] = RunOutcome{};
      outcomes[i].error = *written[i].error;
    } else {
      outcomes[i].unwritten = std::move(written[i].unwritten);
    }
  }
  return outcomes;
}

}  // namespace bnrun::study
