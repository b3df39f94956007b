#include "study/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <filesystem>
#include <optional>
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
#include "study/team.h"

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

}  // namespace

SessionResult run_session(const SessionRequest& request) {
  const Plan& plan = request.plan;
  const TeamWork work = team_work(plan, request.team);  // the same on every process: each throws alike
  const distributed::Communicator* team = work == TeamWork::alone ? nullptr : request.team;
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
    start_failed = failure_message(std::current_exception());
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
  if (work == TeamWork::handed_out)
    spdlog::info("{} run{} handed out to {} processes, {} at a time each", plan.runs.size(),
                 plan.runs.size() == 1 ? "" : "s", team->size(), request.run.jobs);
  else if (work == TeamWork::together && plan.is_study)
    spdlog::info("{} runs, each trained by the {} processes together", plan.runs.size(), team->size());
  else if (plan.is_study)
    spdlog::info("{} runs, {} at a time", plan.runs.size(),
                 std::min<std::size_t>(static_cast<std::size_t>(request.run.jobs), plan.runs.size()));

  Progress progress(plan, request.live_progress);
  SessionResult result;
  result.outcomes = train_runs(plan, run_options, progress.observer(), team, work);
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
    result.table = report::comparison_table(outcomes.front().record, plan.runs.front().config.experiment.reference,
                                            plan.runs.front().config.report.metric);
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
    const auto spec = config::model_spec(config, data.feature_names.size(), data.class_names.size(), arm);
    const nn::Model<float> model(spec, config.training.seed);
    text += report::summary_table(fmt::format("model \"{}\", variant {}", config.name, arm.name), model.summary(),
                                  spec.inputs) +
            "\n";
  }
  return text;
}

}  // namespace bnrun::study
