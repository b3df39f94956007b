#include "study/shards.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/folder_lock.h"
#include "core/json_text.h"
#include "data/dataset_cache.h"
#include "kernels/gemm.h"
#include "study/aggregate.h"
#include "study/outputs.h"
#include "study/progress.h"
#include "study/replacement.h"

namespace bnrun::study {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

// Another shard holds the study folder only to freeze the plan or write the summary: moments, even for a large
// study. Waiting longer than this means something else holds it (a whole-study session), which is an error.
constexpr auto study_lock_patience = std::chrono::seconds(60);

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The study folder's lock, waited for while another shard holds it for a moment.
FolderLock lock_study_folder(const std::string& directory) {
  const auto deadline = std::chrono::steady_clock::now() + study_lock_patience;
  for (;;) {
    try {
      return FolderLock::acquire(directory);
    } catch (const FolderHeldError&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// Where two plans first differ, in words: "run 3 (003_seed=44) differs at /config/training/epochs: 20 there, 5 here".
std::string first_difference(const ordered_json& frozen, const ordered_json& planned) {
  if (frozen.size() != planned.size())
    return fmt::format("it has {} runs, this command plans {}", frozen.size(), planned.size());
  for (std::size_t i = 0; i < frozen.size(); ++i) {
    if (frozen[i] == planned[i]) continue;
    const json there = json::parse(frozen[i].dump());
    const json here = json::parse(planned[i].dump());
    const json patch = json::diff(there, here);
    std::string where = "its settings";
    std::string values;
    if (!patch.empty()) {
      const std::string pointer = patch.front().value("path", "");
      where = pointer;
      const json::json_pointer at(pointer);
      const std::string before = there.contains(at) ? there.at(at).dump() : "nothing";
      const std::string after = here.contains(at) ? here.at(at).dump() : "nothing";
      values = fmt::format(": {} there, {} here", before, after);
    }
    return fmt::format("run {} ({}) differs at {}{}", i + 1, frozen[i].value("folder", ""), where, values);
  }
  return "the plans differ";
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto index = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(slash + 1));
  if (!index || !count || *count == 0 || *index >= *count)
    throw UserError(fmt::format("--shard {}: expected I/N with 0 ≤ I < N (shard I of N, counted from 0, as "
                                "$SLURM_ARRAY_TASK_ID is)",
                                text));
  return {*index, *count};
}

Plan shard_plan(const Plan& plan, const Shard& shard) {
  Plan part = plan;
  part.runs.clear();
  for (const auto& run : plan.runs)
    if ((run.index - 1) % shard.count == shard.index) part.runs.push_back(run);
  return part;
}

FrozenPlan read_frozen_plan(const std::string& directory) {
  const std::string file = (fs::path(directory) / frozen_plan_file).string();
  const auto text = read_file_if_readable(file);
  if (!text)
    throw UserError(fmt::format("{}: no study plan here ({} is missing): is {} a study's --output folder?", directory,
                                frozen_plan_file, directory));
  try {
    const json document = json::parse(*text);
    FrozenPlan frozen;
    frozen.plan = plan_from_json(document, file);
    frozen.command_line = document.at("command_line").get<std::string>();
    return frozen;
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& error) {
    throw UserError(fmt::format("{}: not a bnrun study plan: {}", file, error.what()));
  }
}

void freeze_or_check_plan(const Plan& plan, const std::string& directory, const std::string& command_line) {
  FolderLock lock = lock_study_folder(directory);
  const fs::path file = fs::path(directory) / frozen_plan_file;
  std::error_code error;
  if (!fs::exists(file, error)) {
    try {
      // An existing folder of bnrun's without a plan: a study made before plans were frozen, or an interrupted
      // first shard; its finished runs are checked run by run as --resume checks them.
      if (!fs::exists(fs::path(directory) / marker_file, error)) {
        prepare_output_folder(directory, false, false);
      } else {
        // Runs finished before the plan was frozen must be runs of this plan, on the same data, as --resume checks.
        data::DatasetCache data(kernels::Compute{});
        check_resumable(plan, directory, data);
      }
      write_file_atomically(file.string(), plan_to_json(plan, without_shard_option(command_line)).dump(1) + "\n");
    } catch (...) {
      lock.remove_if_created();
      throw;
    }
    return;
  }
  const FrozenPlan frozen = read_frozen_plan(directory);
  const ordered_json there = plan_runs_json(frozen.plan);
  const ordered_json here = plan_runs_json(plan);
  if (there != here)
    throw UserError(fmt::format(
        "{}: the study in this folder was planned with another config or other options ({}); every shard must be "
        "started with the same config and options (the plan is frozen when the study is created), or use another "
        "--output",
        file.string(), first_difference(there, here)));
}

std::string without_shard_option(const std::string& command_line) {
  std::string text = command_line;
  for (const std::string option : {" --shard=", " --shard "}) {
    const auto at = text.find(option);
    if (at == std::string::npos) continue;
    const auto value_end = text.find(' ', at + option.size());
    text.erase(at, value_end == std::string::npos ? std::string::npos : value_end - at);
  }
  return text;
}

CollectResult collect_study(const std::string& directory, const kernels::Compute& compute) {
  FolderLock lock = lock_study_folder(directory);
  const FrozenPlan frozen = read_frozen_plan(directory);
  const Plan& plan = frozen.plan;
  CollectResult result;
  for (const auto& run : plan.runs) {
    RunOutcome outcome;
    if (auto record = read_run_result(plan, run, directory, true)) {
      outcome.state = RunState::resumed;
      outcome.record = std::move(*record);
    } else {
      outcome.state = RunState::not_run;
      outcome.error = "not run";
      result.missing.push_back(run.folder);
    }
    result.outcomes.push_back(std::move(outcome));
  }
  const auto environment =
      report::current_environment(compute.threads, kernels::matmul_backend_description(compute.matmul));
  result.unwritten = write_study_outputs(directory, plan, result.outcomes, environment, frozen.command_line);
  result.table = study_table(plan, result.outcomes, summarize_groups(plan, result.outcomes));
  return result;
}

ShardResult run_shard(const ShardRequest& request) {
  const Plan& plan = request.plan;
  const std::string& directory = request.run.output_directory;
  if (directory.empty()) throw UserError("--shard needs --output DIR: the folder every shard writes its runs to");
  if (!plan.is_study)
    throw UserError("--shard splits a study's runs: give --seeds or a sweep (a single run has nothing to split)");
  freeze_or_check_plan(plan, directory, request.command_line);

  const Plan part = shard_plan(plan, request.shard);
  ShardResult result;
  result.runs_in_study = plan.runs.size();
  spdlog::info("shard {}/{}: {} of the study's {} runs, {} at a time", request.shard.index, request.shard.count,
               part.runs.size(), plan.runs.size(),
               std::min<std::size_t>(static_cast<std::size_t>(request.run.jobs), std::max<std::size_t>(1, part.runs.size())));
  if (!part.runs.empty()) {
    data::DatasetCache data(request.run.compute);
    check_shared_data(part, nullptr, data);
    RunnerOptions options = request.run;
    options.resume = true;  // a run another shard (or an earlier attempt) finished is kept, never trained again
    options.lock_runs = true;
    options.data = &data;
    Progress progress(part, request.live_progress);
    result.outcomes = run_plan(part, options, progress.observer());
    progress.clear();
    for (const auto& outcome : result.outcomes)
      result.unwritten.insert(result.unwritten.end(), outcome.unwritten.begin(), outcome.unwritten.end());
  }
  // Cheaply first (a study of N shards would otherwise parse every result N times): runs without a result file.
  // Only when every run has one are they read, to count an interrupted run as missing too.
  for (const auto& run : plan.runs) {
    std::error_code error;
    if (!fs::exists(fs::path(run_directory(plan, run, directory)) / "result.json", error))
      result.missing.push_back(run.folder);
  }
  if (result.missing.empty())
    for (const auto& run : plan.runs)
      if (!read_run_result(plan, run, directory)) result.missing.push_back(run.folder);
  if (result.missing.empty()) {
    // The last shard to finish writes the summary; two that finish at once both do, one after the other, alike.
    auto collected = collect_study(directory, request.run.compute);
    result.unwritten.insert(result.unwritten.end(), collected.unwritten.begin(), collected.unwritten.end());
    result.table = std::move(collected.table);
    result.collected = true;
  }
  return result;
}

}  // namespace bnrun::study
