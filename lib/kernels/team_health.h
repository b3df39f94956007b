// Team health: whether waking the other threads has paid off lately (thread 0 of a ThreadTeam asks before each
// loop; only thread 0 uses it, so it needs no lock).
//
// On a machine with a core to spare it does: two threads ran the training loops 1.6-1.9x faster than one. When
// another process holds a core, a woken thread may wait milliseconds for it, every loop waits for that thread,
// and two threads trained at a tenth of one thread's speed. So the parallel loops are judged: a window of
// `window_length` loops that was not at least `worthwhile_speedup` faster than one thread would have been, or a
// single loop that stalled waiting for a thread, sends the loops to one thread for a pause, which doubles (up to
// `longest_pause`) while the tries keep failing; after each pause the team is tried again. Which loops run on how
// many threads never changes a result (parallel.h), so only the speed depends on this.
#pragma once

#include <chrono>

namespace bnrun::kernels {

class TeamHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int window_length = 32;
  static constexpr double worthwhile_speedup = 1.1;
  // Waking a sleeping thread takes 5-50 µs on an idle machine; a thread whose core another process held waited
  // 1-15 ms for it here.
  static constexpr double stall_seconds = 0.0005;
  static constexpr std::chrono::milliseconds shortest_pause{20};
  static constexpr std::chrono::milliseconds longest_pause{1280};

  // Whether a loop starting at `now` should wake the team.
  bool worth_waking(Clock::time_point now);

  // One parallel loop that ended at `now`: its wall time, and the one-thread time it stands for.
  void record(double wall_seconds, double one_thread_seconds, Clock::time_point now);

 private:
  int window_loops_ = 0;
  double window_wall_ = 0.0;
  double window_one_thread_ = 0.0;
  bool paused_ = false;
  Clock::time_point pause_end_;
  Clock::duration pause_ = shortest_pause;
};

}  // namespace bnrun::kernels
