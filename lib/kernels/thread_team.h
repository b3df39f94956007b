// A persistent team of threads for the parallel loops of one training run (parallel.h, with_thread_team).
//
// The thread that opened the team (thread 0) runs the training; every loop it starts is published as a job cut
// into blocks, and every thread, thread 0 included, claims blocks one at a time until none are left. Thread 0
// then waits only for the blocks that others have claimed and not finished: a thread that has not woken up yet,
// or whose core another process holds, simply takes no block, instead of holding up a join barrier as an OpenMP
// region's end does. Which thread runs a block never changes what the block computes (parallel.h), so neither
// the claiming order nor a loop run by thread 0 alone can change a bit of the result.
//
// Between loops the other threads spin for a short while (the next loop of a training step usually follows
// within microseconds) and then sleep on a futex, so an idle team costs no CPU. Thread 0 judges each loop with
// TeamHealth and runs loops alone while the team does not pay off.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels/parallel.h"
#include "kernels/team_health.h"

namespace bnrun::kernels {

class ThreadTeam {
 public:
  // Blocks per thread: a thread that starts late finds the blocks already taken by the others instead of
  // holding them all up; more blocks would cost more claims than they balance.
  static constexpr std::size_t blocks_per_thread = 4;
  // How long a thread spins for the next loop before it sleeps: the gaps between the loops of a training step
  // are a few microseconds; between epochs (evaluation, logging) they can be long.
  static constexpr double spin_seconds = 50e-6;

  ThreadTeam() = default;
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  // Thread 0: body over [0, n) in `blocks` blocks (2 ..= max_blocks), thread 0 taking blocks too. Returns when
  // every block is done. With adapt_to_load, runs body(0, n) alone while the team does not pay off.
  void run(std::size_t n, std::size_t blocks, detail::BlockBody body, bool adapt_to_load);

  // Every other thread: takes blocks of each job until finish().
  void serve();

  // Thread 0, once its work is done: the serving threads return.
  void finish();

  static constexpr std::size_t max_blocks = 0xffff;

 private:
  // The job word: generation (bits 32-63) | blocks (16-31) | next unclaimed block (0-15). A claim is one
  // compare-and-swap that checks the generation, so a thread that woke up late can never claim a block of a
  // job that has ended, nor read the next job's body half-written.
  static std::uint64_t generation_of(std::uint64_t word) { return word >> 32; }
  bool claim(std::uint64_t generation, std::size_t& block);
  void run_claimed(std::uint64_t generation, std::size_t& blocks_run);
  void wait_for_next(std::uint64_t seen_generation);

  std::atomic<std::uint64_t> job_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
  // The current job, written by thread 0 before it publishes the job word and read after a successful claim.
  std::size_t n_ = 0;
  detail::BlockBody body_{};
  TeamHealth health_;
};

}  // namespace bnrun::kernels
