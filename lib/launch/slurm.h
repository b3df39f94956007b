// A study as a Slurm job array: `bnrun slurm` freezes the study's plan in its output folder (study/shards.h),
// writes DIR/slurm/array.sh (each array task is `bnrun ... --shard $SLURM_ARRAY_TASK_ID/N`, one run per task, or
// a chunk of runs when the study is larger than the cluster's MaxArraySize) and DIR/slurm/collect.sh (`bnrun
// collect DIR`), submits the array with `sbatch --parsable --array=...%K` and the collect job after it with
// `--dependency=afterok:<array> --kill-on-invalid-dep=yes`, and says how to follow them. Slurm does the
// scheduling; bnrun only writes what it runs.
//
//   "launcher": {"slurm": {"partition": "short", "time": "00:30:00", "cpus_per_task": 2, "mem": "2G",
//                          "account": "lab", "max_parallel": 20,
//                          "sbatch": ["--qos=normal", "--constraint=avx512"],   extra #SBATCH lines
//                          "setup": ["module load openblas"]}}                  shell lines before bnrun starts
//
// The command line's --partition, --time, ... win over the config's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "study/plan.h"

namespace bnrun::launch {

struct SlurmSettings {
  std::string partition, time, mem, account;  // empty: Slurm's default
  int cpus_per_task = 1;
  int max_parallel = 0;  // 0: no limit (no %K)
  std::vector<std::string> sbatch_lines;  // each "--option=value", written as "#SBATCH --option=value"
  std::vector<std::string> setup_lines;   // shell lines run before bnrun in every job
};

// The config's launcher.slurm section (absent: the defaults). Throws UserError naming `config_path` and the key.
SlurmSettings read_slurm_settings(const nlohmann::json& launcher, const std::string& config_path);

// The command line's values over the config's: each optional given replaces its field.
struct SlurmOverrides {
  std::optional<std::string> partition, time, mem, account;
  std::optional<int> cpus_per_task, max_parallel;
};
void apply_overrides(SlurmSettings& settings, const SlurmOverrides& overrides);

struct SlurmRequest {
  study::Plan plan;
  std::string output_directory;
  SlurmSettings settings;
  // The bnrun options that make the same plan again (--config FILE, --set, --sweep, --seeds, --arms), each
  // argument on its own; paths in them are as typed (the scripts cd to `working_directory` first).
  std::vector<std::string> plan_arguments;
  std::string working_directory;  // where relative paths were typed
  std::string bnrun_path;         // the binary the jobs run
  std::string command_line;       // as typed, for the study's report.md
  bool dry_run = false;           // write and print the scripts; submit nothing
  bool resume = false;            // submit only the runs without a finished result (missing or interrupted)
  // How many array indices the cluster takes (its MaxArraySize); empty: asked of `scontrol show config`.
  std::optional<std::size_t> max_array_size;
};

struct SlurmSubmission {
  std::string array_script, collect_script;  // paths of the scripts written
  std::size_t shards = 0;                     // N in --shard I/N
  std::size_t tasks = 0;                      // array tasks submitted (or that would be)
  std::size_t runs = 0;                       // runs those tasks train
  std::string array_spec;                     // "0-11%4", "3,7%4"
  std::string array_job, collect_job;         // job ids; empty with dry_run or nothing to submit
  std::string report;                         // what to print: the jobs (or the scripts), how to follow them
};

// Throws UserError: a plan that is not a study, no --output, a folder planned differently, sbatch missing or
// failing (with Slurm's own message).
SlurmSubmission submit_study(const SlurmRequest& request);

// Array indices as Slurm's --array takes them: {0,1,2,5,7,8} → "0-2,5,7-8".
std::string array_ranges(const std::vector<std::size_t>& indices);

}  // namespace bnrun::launch
