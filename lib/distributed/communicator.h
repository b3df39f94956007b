// The processes of an MPI job, as bnrun uses them: who this process is, the exchanges data-parallel training
// needs (nn/replicas.h), and how a job ends when one process fails. The one place that names MPI.
//
// A process started without an MPI launcher (mpirun, srun --mpi=pmix) is a job of one: MPI is not even started,
// so a plain `bnrun` run costs nothing. A build without MPI (CMake found none) is always a job of one, and
// available() says so, so that a config asking for distributed training is refused before anything runs.
//
// Determinism: the exchanges are all-gathers (every process receives every process's numbers), and reductions are
// added in rank order by the caller, never by MPI_Allreduce, whose order the library chooses (and may change with
// the message size or the transport). For a fixed number of processes, every result is the same bits on every
// process and run to run.
//
// Failure: a process that fails when the others do too (a bad config, unreadable data: every rank reads the same)
// exits like a lone bnrun, and only rank 0 says why. A failure of one process alone, in the middle of training,
// must end the job (abort_job), or the others would wait for its next exchange forever. A process that is killed
// is noticed by the launcher, which ends the others.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/replicas.h"

namespace bnrun::distributed {

// Whether this build has MPI.
bool available();
// The MPI library this build uses ("Open MPI v4.1.4, ..."), or that there is none: for bnrun --version.
std::string library_description();

// The rank and size the launcher gave this process (its environment, read before MPI starts): 0 and 1 without one.
int launched_rank();
int launched_size();
// How many processes of the job the launcher started on this machine: 1 without one.
int launched_local_size();

void start_process();
[[noreturn]] void abort_job(std::string_view message, int code);

class Communicator final : public nn::Replicas {
 public:
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_gather(std::span<const double> local, std::span<double> all) const override;
  void all_gather(std::span<const float> local, std::span<float> all) const override;

  // Every process's text, in rank order, on every process (texts of any length; a job of one: its own).
  std::vector<std::string> all_gather_text(const std::string& text) const;

  // Handing out a study's runs (study/session.h): rank 0 deals, every other process asks for its next run.
  // deal_runs answers each request with next() (a run's index, or nothing when none are left) until every other
  // process has been told that none are left; it is meant for a thread of its own on rank 0, and while it runs no
  // other thread of rank 0 may use the communicator. ask_for_run may be called from several threads at once (one per
  // run trained at a time), all passing the same `none_left` (false when the study starts): once one is told that
  // none are left, it is set and the others return nothing without asking again, so that rank 0 hears exactly one
  // "none left" per process and study.
  void deal_runs(const std::function<std::optional<std::size_t>()>& next) const;
  std::optional<std::size_t> ask_for_run(bool& none_left) const;

 private:
  friend void start_process();
  friend void abort_job(std::string_view message, int code);
  int rank_ = 0;
  int size_ = 1;
  bool uses_mpi_ = false;
};

// Call once, early, on the main thread: starts MPI when a launcher started this process (and the build has it),
// and from then on only rank 0 prints: every other rank's standard output and error go to /dev/null (abort_job
// still reaches the real stderr) and rank 0's log lines name the rank. MPI ends when the process exits normally.
void start_process();

// Every process of the job; a job of one before start_process or without a launcher.
const Communicator& world();

// Prints "error: rank R of N: message" on this process's real standard error and ends every process of the job
// with exit status `code` (MPI_Abort). Without MPI, exits with `code`.
[[noreturn]] void abort_job(std::string_view message, int code);

}  // namespace bnrun::distributed
