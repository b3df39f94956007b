// A study's runs over the processes of an MPI job (`mpirun -n K bnrun ...`), for the commands that run studies
// (study/session.h, study/claims.h). Two ways, by the study's config:
//  - handed out (no run sets training.distributed): rank 0 deals the runs one at a time to whichever process asks
//    next, itself included (from a thread of its own); each process trains its runs and writes their folders, so the
//    output folder must be one every process sees; rank 0 then reads the others' results back from their folders.
//  - together (every run sets training.distributed): every process trains every run, one after the other, and only
//    rank 0 writes.
// Either way every process first agrees to start, so that a failure on one (a folder rank 0 cannot use, data one
// process cannot read) stops them all with one message instead of leaving the others waiting.
#pragma once

#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

// Every process says whether it could start (`failure` empty) and learns rank 0's output folder (what it passes as
// `output_directory`); if any could not, every process throws UserError with the first failure, rank 0's own first,
// another's prefixed "rank R: ".
std::string agree_to_start(const distributed::Communicator& team, const std::string& failure,
                           const std::string& output_directory);

// How a plan's runs use the processes of a job: alone (no team, or a job of one), handed out, or together.
enum class TeamWork { alone, handed_out, together };

// Throws UserError when, under a team, some runs set training.distributed and others do not (`config_path` names it).
TeamWork team_work(const Plan& plan, const distributed::Communicator* team);

// Trains the plan's runs as `work` says (every process calls it with the same plan and work; options as rank 0 would
// write): alone, all of them here (run_plan). Handed out: on rank 0 the outcomes of every run; on the others, those
// of the runs they trained (the rest not_run, trained_elsewhere). Together: one run at a time; rank 0 writes, keeps
// the runs that already have a result under --resume and tells the others which runs to train with it.
std::vector<RunOutcome> train_runs(const Plan& plan, RunnerOptions options, const RunnerObserver& observer,
                                   const distributed::Communicator* team, TeamWork work);

}  // namespace bnrun::study
