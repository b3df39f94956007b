#include "study/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <variant>

#include "core/error.h"
#include "core/folder_lock.h"
#include "core/json_reader.h"
#include "data/dataset.h"
#include "data/dataset_cache.h"
#include "nn/layer_kinds.h"
#include "nn/model.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "report/table.h"
#include "study/aggregate.h"
#include "study/outputs.h"
#include "study/progress.h"
#include "study/replacement.h"

namespace bnrun::study {

namespace {

bool has_problem(const RunOutcome& outcome) {
  if (!has_record(outcome)) return true;
  return std::any_of(outcome.record.arms.begin(), outcome.record.arms.end(),
                     [](const auto& arm) { return arm.result.status != train::RunStatus::ok; });
}

void check_request(const SessionRequest& request) {
  if (request.run.output_directory.empty() && (request.run.save_models || request.run.resume || request.overwrite))
    throw UserError(fmt::format("{} needs --output DIR", request.run.save_models ? "--save-model"
                                                         : request.run.resume    ? "--resume"
                                                                             : "--overwrite"));
  if (request.run.resume && request.overwrite) throw UserError("--resume and --overwrite exclude each other");
}

// The outermost ancestor of `directory` (itself included) that does not exist yet; empty if it exists.
std::filesystem::path outermost_missing_folder(const std::string& directory) {
  std::error_code error;
  std::filesystem::path missing;
  for (std::filesystem::path folder = std::filesystem::absolute(directory, error); !error && !folder.empty();
       folder = folder.parent_path()) {
    if (std::filesystem::exists(folder, error)) break;
    missing = folder;
    if (folder == folder.parent_path()) break;
  }
  return missing;
}

void remove_created(const std::filesystem::path& created_root) {
  std::error_code ignored;  // best effort: the error that made bnrun stop is the one to report
  if (!created_root.empty()) std::filesystem::remove_all(created_root, ignored);
}

// Initial weights scaled up (kernel_scale > 1) overflow by themselves, whatever the learning rate: say so first.
std::string divergence_advice(const config::Config& config) {
  for (std::size_t i = 0; i < config.layers.size(); ++i)
    if (const auto* dense = std::get_if<nn::DenseSpec>(&config.layers[i]); dense && dense->kernel_scale > 1)
      return fmt::format("model.layers[{}].kernel_scale is {}: initial weights that large can overflow by themselves; "
                         "try a smaller kernel_scale, then a smaller training.optimizer.learning_rate",
                         i, dense->kernel_scale);
  return "try a smaller training.optimizer.learning_rate";
}

// The message of whatever stopped a process of a team before its runs started: each process says why, and rank 0
// reports it.
std::string start_failure(const std::exception_ptr& exception) {
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

// Every process of the team says whether it could start (its checks of the config and data, and on rank 0 the output
// folder) and learns where rank 0's runs are written; if any could not, every process throws the first failure
// (rank 0's own first), so that all stop together instead of waiting for one another.
std::string agree_to_start(const distributed::Communicator& team, const std::string& failure,
                           const std::string& output_directory) {
  const auto texts = team.all_gather_text(nlohmann::json{{"failure", failure}, {"write_to", output_directory}}.dump());
  for (std::size_t rank = 0; rank < texts.size(); ++rank) {
    const auto said = nlohmann::json::parse(texts[rank]);
    const auto why = said.at("failure").get<std::string>();
    if (!why.empty()) throw UserError(rank == 0 ? why : fmt::format("rank {}: {}", rank, why));
  }
  return nlohmann::json::parse(texts.front()).at("write_to").get<std::string>();
}

// What a process other than rank 0 did with the runs it was given: the results themselves are in the run folders.
std::string runs_trained_here(const std::vector<RunOutcome>& outcomes) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& outcome = outcomes[i];
    if (outcome.state == RunState::not_run && outcome.error == trained_elsewhere) continue;
    runs.push_back({{"run", i},
                    {"has_result", has_record(outcome)},
                    {"state", static_cast<int>(outcome.state)},
                    {"error", outcome.error},
                    {"unwritten", outcome.unwritten}});
  }
  return runs.dump();
}

// Rank 0's outcomes, completed with what the other processes trained: a run with a result is read back from its
// folder, as --resume would; one that failed keeps the message its process gave.
void take_in_runs_trained_elsewhere(const Plan& plan, const std::string& output_directory,
                                    const std::vector<std::string>& reports, std::vector<RunOutcome>& outcomes) {
  for (std::size_t rank = 1; rank < reports.size(); ++rank)
    for (const auto& said : nlohmann::json::parse(reports[rank])) {
      const auto i = said.at("run").get<std::size_t>();
      const PlannedRun& run = plan.runs.at(i);
      RunOutcome outcome;
      outcome.unwritten = said.at("unwritten").get<std::vector<std::string>>();
      if (said.at("has_result").get<bool>()) {
        if (auto record = read_run_result(plan, run, output_directory, true)) {
          outcome.state = static_cast<RunState>(said.at("state").get<int>());
          outcome.record = std::move(*record);
        } else {
          outcome.state = RunState::failed;
          outcome.error = fmt::format(
              "{}: rank {} trained this run, but its result cannot be read here (is --output a folder every process "
              "of the job shares?)",
              run_directory(plan, run, output_directory), rank);
        }
      } else {
        outcome.state = static_cast<RunState>(said.at("state").get<int>());
        outcome.error = said.at("error").get<std::string>();
      }
      outcomes[i] = std::move(outcome);
    }
}

// Trains the plan's runs: all of them, or with a team, those dealt to this process (rank 0 deals from a thread of its
// own while it trains), and on rank 0 learns what the others did with theirs.
std::vector<RunOutcome> train_runs(const Plan& plan, RunnerOptions options, const RunnerObserver& observer,
                                   const distributed::Communicator* team) {
  if (!team) return run_plan(plan, options, observer);
  std::vector<RunOutcome> outcomes;
  if (team->rank() == 0) {
    std::atomic<std::size_t> next{0};
    const auto stop = options.should_stop;
    const auto deal = [&]() -> std::optional<std::size_t> {
      if (stop && stop()) return std::nullopt;
      const std::size_t i = next++;
      return i < plan.runs.size() ? std::optional(i) : std::nullopt;
    };
    options.next_run = deal;
    std::thread dealer([&] { team->deal_runs(deal); });
    outcomes = run_plan(plan, options, observer);
    dealer.join();
  } else {
    options.next_run = [team] { return team->ask_for_run(); };
    outcomes = run_plan(plan, options, observer);
  }
  const auto reports = team->all_gather_text(runs_trained_here(outcomes));
  if (team->rank() == 0) take_in_runs_trained_elsewhere(plan, options.output_directory, reports, outcomes);
  return outcomes;
}

}  // namespace

SessionResult run_session(const SessionRequest& request) {
  const Plan& plan = request.plan;
  const distributed::Communicator* team =
      request.team && request.team->size() > 1 && plan.is_study ? request.team : nullptr;
  // Rank 0 of a team, or a lone process: prepares the output folder and writes the study's files.
  const bool leads = !team || team->rank() == 0;
  std::optional<modelio::ModelFile> init_from;
  // Every data file the session's runs read is read once, here or by the first run that needs it.
  data::DatasetCache data(request.run.compute);
  const bool output = !request.run.output_directory.empty();
  // What a failed start removes: the outermost folder of --output that bnrun is about to create (a/b/c creates
  // a/b too when neither exists, and takes both away again).
  const std::filesystem::path created_root = output && leads ? outermost_missing_folder(request.run.output_directory)
                                                             : "";
  // Held until the session ends: one bnrun per output folder, from before its contents are looked at. With
  // --overwrite on a folder of results, the new ones are written beside the old and swapped in at the end.
  std::optional<OpenOutputFolder> folder;
  RunnerOptions run_options = request.run;
  run_options.data = &data;
  // Shards of the same study may write beside this session (study/shards.h): each run folder is locked too.
  run_options.lock_runs = true;
  std::string start_failed;
  try {
    check_request(request);
    if (!request.run.init_from.empty()) {
      init_from = modelio::read_model_file(request.run.init_from);
      check_init_from(plan, *init_from);
    }
    // A single run meets bad data before it makes its folder anyway; a study would meet it in every run.
    if (plan.is_study) check_shared_data(plan, init_from ? &*init_from : nullptr, data);
    if (output && leads) {
      try {
        folder.emplace(request.run.output_directory, plan, request.overwrite, request.run.resume,
                       request.run.init_from, data);
      } catch (const FolderHeldError&) {
        throw;  // a folder missing when we looked was made by the holder, not by us: not ours to remove
      } catch (...) {
        remove_created(created_root);
        throw;
      }
      run_options.output_directory = folder->write_to();
    }
  } catch (...) {
    if (!team) throw;
    start_failed = start_failure(std::current_exception());
  }
  if (team) {
    try {
      run_options.output_directory = agree_to_start(*team, start_failed, run_options.output_directory);
    } catch (...) {
      if (folder) {
        folder.reset();
        remove_created(created_root);
      }
      throw;
    }
  }
  if (team)
    spdlog::info("{} runs handed out to {} processes, {} at a time each", plan.runs.size(), team->size(),
                 request.run.jobs);
  else if (plan.is_study)
    spdlog::info("{} runs, {} at a time", plan.runs.size(),
                 std::min<std::size_t>(static_cast<std::size_t>(request.run.jobs), plan.runs.size()));

  Progress progress(plan, request.live_progress);
  SessionResult result;
  result.outcomes = train_runs(plan, run_options, progress.observer(), team);
  progress.clear();
  if (!leads) return result;  // rank 0 reports the study
  const auto& outcomes = result.outcomes;
  spdlog::debug("{} dataset{} read for {} run{}", data.datasets_read(), data.datasets_read() == 1 ? "" : "s",
                plan.runs.size(), plan.runs.size() == 1 ? "" : "s");

  if (!plan.is_study && !has_record(outcomes.front())) {
    // Nothing half-written: a run that could not start leaves no output folder behind.
    remove_created(created_root);
    throw UserError(outcomes.front().error);
  }
  const auto environment = report::current_environment(request.run.compute.threads,
                                                       kernels::matmul_backend_description(request.run.compute.matmul));
  if (output) {
    for (const auto& outcome : outcomes)
      result.unwritten.insert(result.unwritten.end(), outcome.unwritten.begin(), outcome.unwritten.end());
    const auto unwritten_outputs =
        write_study_outputs(run_options.output_directory, plan, outcomes, environment, request.command_line);
    result.unwritten.insert(result.unwritten.end(), unwritten_outputs.begin(), unwritten_outputs.end());
    if (folder->replacing() && !result.unwritten.empty()) {
      // Incomplete new results do not replace complete old ones.
      result.kept_previous_results = true;
    } else if (folder->replacing()) {
      // Old results go only for new ones: a study in which no run trained keeps what was there.
      const bool any_trained = std::any_of(outcomes.begin(), outcomes.end(),
                                           [](const RunOutcome& outcome) { return outcome.state == RunState::finished; });
      if (!any_trained)
        throw UserError(fmt::format("no run finished; the results already in {} are kept", request.run.output_directory));
      // Nor do they go for an interrupted session's: the complete old ones stay, the partial new ones are dropped.
      if (request.run.should_stop && request.run.should_stop())
        result.kept_previous_results = true;
      else
        folder->commit();
    }
    if (result.unwritten.empty())
      spdlog::info("wrote {}/{}", request.run.output_directory,
                   plan.is_study ? "summary.json and report.md" : "results.json");
  }
  if (plan.is_study) {
    result.table = study_table(plan, outcomes, summarize_groups(plan, outcomes));
    result.runs_with_problems = static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), has_problem));
  } else {
    result.table = report::comparison_table(outcomes.front().record, plan.runs.front().config.experiment.reference);
    for (const auto& arm : outcomes.front().record.arms)
      if (arm.result.status == train::RunStatus::diverged)
        result.divergences.push_back(
            {arm.arm, arm.result.diverged_epoch, divergence_advice(plan.runs.front().config)});
  }
  return result;
}

std::string model_summaries(const kernels::Compute& compute, const Plan& plan) {
  const auto& config = plan.runs.front().config;
  const auto data = data::prepare_data(config.dataset, config.training.seed, {.compute = compute});
  try {
    config::check_against_data(config, data.class_names.size(), data.feature_names.size());
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", plan.config_path, error.what()));
  }
  std::string text;
  for (const auto& arm : config.experiment.arms) {
    const auto spec = config::model_spec(config, data.feature_names.size(), arm);
    const nn::Model<float> model(spec, config.training.seed);
    text += report::summary_table(fmt::format("model \"{}\", variant {}", config.name, arm.name), model.summary(),
                                  spec.inputs) +
            "\n";
  }
  return text;
}

}  // namespace bnrun::study
