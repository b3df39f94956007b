#include "kernels/thread_team.h"

#include <chrono>


namespace bnrun::kernels {

namespace {

using Clock = std::chrono::steady_clock;

// Tells the core that this thread is spinning (less power, and a hyperthread sibling gets the pipeline).
inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadTeam::ThreadTeam(int threads)
    : threads_(static_cast<std::size_t>(std::max(threads, 1))), ranges_(std::make_unique<Range[]>(threads_)) {}

bool ThreadTeam::claim(std::uint64_t generation, std::size_t range, std::size_t& block) {
  std::atomic<std::uint64_t>& word = ranges_[range].word;
  std::uint64_t current = word.load(std::memory_order_acquire);
  while (generation_of(current) == generation) {
    const std::uint64_t next = current & 0xffff;
    const std::uint64_t end = (current >> 16) & 0xffff;
    if (next >= end) return false;
    if (word.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      block = static_cast<std::size_t>(next);
      return true;
    }
  }
  return false;
}

void ThreadTeam::run_blocks(std::uint64_t generation, std::size_t thread) {
  for (std::size_t offset = 0; offset < threads_; ++offset) {
    const std::size_t range = (thread + offset) % threads_;
    std::size_t block = 0;
    while (claim(generation, range, block)) {
      // The claim succeeded, so this job cannot end (and n_, blocks_, body_ cannot change) before done_
      // counts the block.
      body_(n_ * block / blocks_, n_ * (block + 1) / blocks_);
      done_.fetch_add(1, std::memory_order_release);
    }
  }
}

void ThreadTeam::run(std::size_t n, std::size_t blocks, double work, detail::BlockBody body, bool adapt_to_load) {
  if (adapt_to_load && !health_.use_team()) {
    body(0, n);
    health_.record(work, Clock::now());
    return;
  }
  n_ = n;
  blocks_ = blocks;
  body_ = body;
  done_.store(0, std::memory_order_relaxed);
  const std::uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
  for (std::size_t t = 0; t < threads_; ++t) {
    const std::uint64_t begin = blocks * t / threads_;
    const std::uint64_t end = blocks * (t + 1) / threads_;
    ranges_[t].word.store(generation << 32 | end << 16 | begin, std::memory_order_release);
  }
  generation_.store(generation, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();

  run_blocks(generation, 0);
  while (done_.load(std::memory_order_acquire) < blocks) spin_pause();
  if (adapt_to_load) health_.record(work, Clock::now());
}

void ThreadTeam::wait_for_next(std::uint64_t seen_generation) {
  const auto spin_end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spin_seconds));
  for (int spins = 0;; ++spins) {
    if (generation_.load(std::memory_order_acquire) != seen_generation) return;
    if (finished_.load(std::memory_order_acquire)) return;
    spin_pause();
    if (spins % 64 == 63 && Clock::now() >= spin_end) break;
  }
  // Announce the sleep before the last look, so that thread 0 (which publishes, then looks for sleepers) and
  // this thread (which announces, then looks for a job) cannot both miss each other.
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (generation_.load(std::memory_order_seq_cst) == seen_generation && !finished_.load(std::memory_order_seq_cst))
    generation_.wait(seen_generation, std::memory_order_seq_cst);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void ThreadTeam::serve(std::size_t thread) {
  std::uint64_t seen_generation = generation_.load(std::memory_order_acquire);
  while (!finished_.load(std::memory_order_acquire)) {
    wait_for_next(seen_generation);
    seen_generation = generation_.load(std::memory_order_acquire);
    run_blocks(seen_generation, thread);
  }
}

void ThreadTeam::finish() {
  finished_.store(true, std::memory_order_seq_cst);
  // A new generation with no blocks wakes the sleepers; none of them can claim anything from it.
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
}

}  // namespace bnrun::kernels
