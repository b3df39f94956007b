// A persistent team of threads for the parallel loops of one training run (parallel.h, with_thread_team).
//
// The thread that opened the team (thread 0) runs the training; every loop it starts is published as a job cut
// into blocks, and every thread, thread 0 included, claims blocks one at a time until none are left. Thread 0
// then waits only for the blocks that others have claimed and not finished: a thread that has not woken up yet,
// or whose core another process holds, simply takes no block, instead of holding up a join barrier as an OpenMP
// region's end does. Which thread runs a block never changes what the block computes (parallel.h), so neither
// the claiming order nor a loop run by thread 0 alone can change a bit of the result.
//
// Each thread has a home range of the blocks (thread t of T: the t-th T-th of them) and claims from it first,
// then from the others' ranges. So on a quiet machine a thread gets the same part of every loop at every step:
// the part of the weights, gradients and Adam moments it updated last step is still in its own core's caches.
// Claiming in arrival order instead sent each block to whichever core came first, and the optimizer step, which
// streams four arrays, took three times the CPU time on two threads that it took on one.
//
// Between loops the other threads spin for a short while (the next loop of a training step usually follows
// within microseconds) and then sleep on a futex, so an idle team costs no CPU. Thread 0 compares stretches of
// training run both ways (TeamHealth) and runs the loops alone while that is faster.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/parallel.h"
#include "kernels/team_health.h"

namespace bnrun::kernels {

class ThreadTeam {
 public:
  // Blocks per thread: a thread that starts late finds its blocks taken by the others instead of holding them
  // all up; more blocks would cost more claims than they balance.
  static constexpr std::size_t blocks_per_thread = 4;
  static constexpr std::size_t max_blocks = 0xffff;
  // How long a thread spins for the next loop before it sleeps. The gaps between the loops of a training step
  // are microseconds to tens of microseconds, and a sleeping thread is slow to come back: in a virtual machine
  // its idle vCPU is descheduled by the host, and waking it took long enough that the woken thread arrived
  // after thread 0 had done most of the loop. With 50 µs, some runs slept at every step and trained at half
  // the speed of the others (56,000 against 113,000 samples/s, bimodal from run to run); with 500 µs every run
  // was fast. Between epochs (evaluation, logging) and while the team is paused the threads sleep.
  static constexpr double spin_seconds = 500e-6;

  // A team of `threads` threads (>= 1), thread 0 being the caller of run().
  explicit ThreadTeam(int threads);
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  // Thread 0: body over [0, n) in `blocks` blocks (2 ..= max_blocks), thread 0 taking blocks too; `work` is the
  // loop's cost in multiply-adds. Returns when every block is done. With adapt_to_load, runs body(0, n) alone
  // while TeamHealth finds one thread faster.
  void run(std::size_t n, std::size_t blocks, double work, detail::BlockBody body, bool adapt_to_load);

  // Thread `thread` (1 ..= threads - 1): takes blocks of each job until finish().
  void serve(std::size_t thread);

  // Thread 0, once its work is done: the serving threads return.
  void finish();

 private:
  // One home range's claim word, alone on its cache line: generation (bits 32-63) | end of the range (16-31) |
  // next unclaimed block (0-15). A claim is one compare-and-swap that checks the generation, so a thread that
  // woke up late can never claim a block of a job that has ended, nor read the next job's body half-written.
  struct alignas(64) Range {
    std::atomic<std::uint64_t> word{0};
  };
  static std::uint64_t generation_of(std::uint64_t word) { return word >> 32; }
  bool claim(std::uint64_t generation, std::size_t range, std::size_t& block);
  // Claims and runs blocks, home range first, until no range of this generation has any left.
  void run_blocks(std::uint64_t generation, std::size_t thread);
  void wait_for_next(std::uint64_t seen_generation);

  std::size_t threads_;
  std::unique_ptr<Range[]> ranges_;
  // The current job's generation, which the serving threads wait on; published after every range word.
  alignas(64) std::atomic<std::uint64_t> generation_{0};
  alignas(64) std::atomic<std::size_t> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
  // The current job, written by thread 0 before it publishes the generation and read after a successful claim.
  std::size_t n_ = 0;
  std::size_t blocks_ = 0;
  detail::BlockBody body_{};
  TeamHealth health_;
};

}  // namespace bnrun::kernels
