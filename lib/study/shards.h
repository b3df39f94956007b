// A study split across processes or machines: `--shard I/N` trains only the runs of shard I (run index − 1 ≡ I
// mod N, so every shard gets runs of every setting) into a shared output folder, and the N shards together leave
// exactly the folders one process would. Nothing here knows of a scheduler: the same shards run under Slurm, GNU
// parallel, a Kubernetes indexed job or a loop of ssh.
//
// What makes that safe:
//  - The plan is frozen in the folder (plan.json: every run's folder and resolved config) by the first shard or
//    session that creates the study; a shard whose own plan differs (a config edited later, other options) is
//    refused, naming the first difference.
//  - Each run folder has its own lock (core/folder_lock.h), so many shards write one study at once; the study
//    folder's lock is held only for moments (freezing the plan, writing the summary).
//  - The summary, report and plots are rebuilt from the run folders alone (collect_study): by the shard that
//    finds every run finished when it ends, or by `bnrun collect DIR`.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

struct Shard {
  std::size_t index = 0;  // 0-based: shard I of 0 … count − 1
  std::size_t count = 1;
};

// "I/N" with 0 ≤ I < N. Throws UserError naming the option.
Shard parse_shard(const std::string& text);

// The plan restricted to the shard's runs (run index − 1 ≡ shard.index mod shard.count), in plan order.
Plan shard_plan(const Plan& plan, const Shard& shard);

inline constexpr const char* frozen_plan_file = "plan.json";

// The plan frozen in `directory`'s plan.json (with the command line it was made with). Throws UserError naming the
// file when there is none or it is not one.
struct FrozenPlan {
  Plan plan;
  std::string command_line;
};
FrozenPlan read_frozen_plan(const std::string& directory);

// Freezes `plan` in `directory` (made if missing) when the folder has no plan yet; otherwise checks that the frozen
// plan is the same (the same runs, folders and resolved configs) and throws UserError naming the first difference.
// Takes the study folder's lock for the moment it needs it, waiting (up to a minute) while another bnrun holds it
// briefly. A folder that holds files but no plan and was not made by bnrun is refused as --output always is; one
// made by bnrun without a plan (an older study) has its finished runs checked against the plan first
// (check_resumable).
void freeze_or_check_plan(const Plan& plan, const std::string& directory, const std::string& command_line);

// The command line without "--shard I/N" (or "--shard=I/N"): what report.md says made the study, the same for
// every shard.
std::string without_shard_option(const std::string& command_line);

struct CollectResult {
  std::vector<RunOutcome> outcomes;         // every run of the plan: resumed (has a result) or not_run
  std::vector<std::string> missing;         // folders of the runs without a finished result
  std::vector<std::string> unwritten;       // summary files that could not be written
  std::string table;                        // the study table, as a one-process study prints it
  bool complete() const { return missing.empty(); }
};

// Rebuilds summary.json, summary.csv, report.md and the plots of the study in `directory` from its plan.json and
// run folders, under the study folder's lock. Runs without a result count as not run (and are listed in
// `missing`); an interrupted run's record is used as it stands.
CollectResult collect_study(const std::string& directory, const kernels::Compute& compute);

struct ShardRequest {
  Plan plan;        // the whole study, as planned from the command line
  Shard shard;
  RunnerOptions run;  // output_directory required; resume is implied (a finished run is never trained again)
  std::string command_line;
  bool live_progress = false;
};

struct ShardResult {
  std::vector<RunOutcome> outcomes;  // the shard's runs: finished now, resumed (finished earlier), failed, not run
  std::size_t runs_in_study = 0;
  std::vector<std::string> missing;  // after this shard: the study's runs still without a result
  bool collected = false;            // every run had a result, and this shard wrote the summary
  std::vector<std::string> unwritten;
  std::string table;                 // the whole study's, when collected; else empty (the log says what is left)
};

// Trains the shard's runs of the study into request.run.output_directory (see the top of this file).
ShardResult run_shard(const ShardRequest& request);

}  // namespace bnrun::study
