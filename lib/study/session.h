// One `bnrun --config` invocation, single run or study alike: check the request, prepare the output folder, run
// the plan (with progress on stderr), write every output file and build the table for stdout. The command line
// only parses options into a SessionRequest, prints SessionResult::table and maps the typed result to an exit
// code; it knows nothing of what is trained.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "kernels/parallel.h"
#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

struct SessionRequest {
  Plan plan;
  RunnerOptions run;  // how the plan runs: jobs, threads, output folder (empty: write nothing), resume, models
  bool overwrite = false;
  std::string command_line;    // as typed, for report.md
  bool live_progress = false;  // draw the status line on stderr
  // The processes of an MPI job to hand a study's runs out to (`mpirun -n K bnrun --seeds ...` without
  // training.distributed). Rank 0 prepares the output folder, deals the runs one at a time to whichever process
  // asks next (itself included), and, once every run is done, writes the study's files and the table from the run
  // folders, which each process writes for the runs it trained: so --output must be a folder every process sees,
  // as for --shard. The result equals the one-process study's. Null, a job of one, or a single run: this process
  // trains every run.
  const distributed::Communicator* team = nullptr;
};

// An arm that diverged, for the message under the table.
struct Divergence {
  std::string arm;
  std::int64_t epoch = 0;
  std::string advice;  // "try a smaller training.optimizer.learning_rate", or what else the config suggests
};

struct SessionResult {
  // Every run's; on a process of a team other than rank 0, only the runs it trained (the others are not_run,
  // trained_elsewhere), and the rest of the result is empty: rank 0 reports the study.
  std::vector<RunOutcome> outcomes;
  std::string table;                    // what stdout shows
  std::vector<Divergence> divergences;  // of a single run
  std::size_t runs_with_problems = 0;   // of a study: runs that failed or have an arm that did not finish ok
  // Files that could not be written (a full disk), each "<path>: cannot write: <reason>"; every other file was
  // written complete, and the table above still shows what trained.
  std::vector<std::string> unwritten;
  // --overwrite was interrupted, or some new file could not be written: the folder still holds the results it
  // held before, not the incomplete new ones.
  bool kept_previous_results = false;
};

// Throws UserError for a request that cannot run (bad option combination, a folder that cannot be used) and when
// a single run fails before training (its new output folder is removed: nothing half-written).
SessionResult run_session(const SessionRequest& request);

// `bnrun summary`: each arm's layers, output shapes and parameter counts for the plan's first run (its data is
// read, within `compute`, to know the input width and the classes).
std::string model_summaries(const kernels::Compute& compute, const Plan& plan);

}  // namespace bnrun::study
