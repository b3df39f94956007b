// Runs a plan: each run prepares its data (the files are read once for all runs; the split depends on the seed),
// trains every variant and, with an output folder, writes its files as soon as it finishes (on background threads,
// while the next runs train) — so a study stopped half-way keeps its finished runs and --resume picks up the rest.
// With jobs > 1, that many runs train at once and share the thread budget; a run that fails (bad data for one sweep
// value, say) is recorded and the others go on.
#pragma once

#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/dataset_cache.h"
#include "kernels/parallel.h"
#include "modelio/model_file.h"
#include "results/record.h"
#include "study/plan.h"
#include "train/experiment.h"

namespace bnrun::study {

// finished: trained in this session; resumed: finished earlier, its record read back; failed: could not start or
// stopped with an error; not_run: never started (the session was interrupted first).
enum class RunState { finished, failed, not_run, resumed };

struct RunOutcome {
  RunState state = RunState::failed;
  std::string error;           // when failed or not run: a one-line message
  results::RunRecord record;   // finished or resumed: what the run's results document holds
  // finished: the files of its folder that could not be written, each "<path>: cannot write: <reason>". The run
  // still counts as trained (its record is in the summary and the table); every file that was written is kept.
  std::vector<std::string> unwritten;
};

// Whether the run has results (trained now or earlier), as against failing or never starting.
inline bool has_record(const RunOutcome& outcome) {
  return outcome.state == RunState::finished || outcome.state == RunState::resumed;
}

struct RunnerOptions {
  int jobs = 1;
  // The whole thread budget: each of the `jobs` runs at once gets compute.threads / jobs of it (at least one)
  // for its CSV reading, training and evaluation.
  kernels::Compute compute = {};
  std::string output_directory;  // empty: write nothing
  bool resume = false;           // reuse the runs whose folder already holds a result for the same config
  bool save_models = false;      // model_<arm>.json and test.csv beside each result
  std::string init_from;         // a model file every variant starts from (modelio::initialize_from)
  // Where the runs get their data: each distinct dataset read once and shared (data/dataset_cache.h). A session
  // passes the cache its checks before the runs filled; null: run_plan uses one of its own.
  data::DatasetCache* data = nullptr;
  // Asked before every batch and before each run starts: true interrupts the runs in flight (their results so far
  // are kept, with status "interrupted") and starts no more (they are not_run, "not run: interrupted").
  std::function<bool()> should_stop;
  // Each run folder locked (core/folder_lock.h) from before its result is looked at until its files are written,
  // for studies written by several processes at once (study/shards.h): a run another process holds is left to it
  // (not_run, saying so), and a dead writer's temporary files in the folder are removed first.
  bool lock_runs = false;
  // Which run to train next (an index into plan.runs), or nothing when none are left; asked from every thread
  // that trains. Unset: every run, in plan order. A study handed out to the processes of an MPI job sets it
  // (study/session.h): the runs this process is never given are not_run, "not run: trained by another process".
  std::function<std::optional<std::size_t>()> next_run;
};

inline constexpr const char* trained_elsewhere = "not run: trained by another process";

// Called from the threads that train; the runner serializes the calls, so they need no locking of their own.
struct RunnerObserver {
  std::function<void(const PlannedRun&)> on_run_start;
  std::function<void(const PlannedRun&, const data::PreparedData&)> on_data_ready;
  std::function<void(const PlannedRun&, const std::string& arm)> on_arm_start;
  std::function<void(const PlannedRun&, const std::string& arm, const train::EpochRecord&)> on_epoch;
  std::function<void(const PlannedRun&, const train::ArmRun&)> on_arm_end;
  std::function<void(const PlannedRun&, const RunOutcome&)> on_run_end;
};

// Where a run's files go: its own folder in a study, the output folder itself for a single run.
std::string run_directory(const Plan& plan, const PlannedRun& run, const std::string& output_directory);

// Checks, before anything trains, that every finished run folder holds the config the plan would run (a
// resumed study must not mix settings), and that its data files hold what they held then (as `data` reads them
// for the runs). Throws UserError naming the folder or the file.
void check_resumable(const Plan& plan, const std::string& output_directory, data::DatasetCache& data);

// Checks, before anything trains, that the model file given to --init-from fits every run's arms (Dense
// shapes by layer name). Throws UserError naming the file, layer and shapes.
void check_init_from(const Plan& plan, const modelio::ModelFile& init_from);

// Checks once, before a study makes its folder, what would otherwise fail every run alike: each distinct
// dataset's files parse and have classes (read into `data`, where the runs find them), a run's output width fits
// the class count, and an --init-from model (when `init_from` is not null) was trained on the same feature and class
// names. Throws the first run's error when no run could start; when some can, the others' failures stay theirs (a
// sweep point over a bad file fails alone), as does what depends on the seed (a split that loses a class).
void check_shared_data(const Plan& plan, const modelio::ModelFile* init_from, data::DatasetCache& data);

// The one-line message of a run (or a process of a team) stopped by an exception: a UserError's own, "out of
// memory", or "internal error: ..." for what went wrong inside bnrun.
std::string failure_message(const std::exception_ptr& exception);

// What `bnrun validate` and --dry-run check beyond the config: every run's data files (each distinct dataset read
// once, as a run would read it: a missing file, the target and feature columns, malformed rows) and its model against
// them (the output width against the classes, every layer against its input width). Throws the first failure, as
// a UserError naming the file or the config.
void check_every_run_data(const Plan& plan, data::DatasetCache& data);

std::vector<RunOutcome> run_plan(const Plan& plan, const RunnerOptions& options, const RunnerObserver& observer = {});

// The record in the run's result file, or nothing when there is none, it is not JSON, or (unless
// `keep_interrupted`) the run was interrupted: --resume trains those again. A file that is JSON but not a results
// document is the user's to look at (a UserError).
std::optional<results::RunRecord> read_run_result(const Plan& plan, const PlannedRun& run,
                                                  const std::string& output_directory, bool keep_interrupted = false);

}  // namespace bnrun::study
