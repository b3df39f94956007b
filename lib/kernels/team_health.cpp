#include "kernels/team_health.h"

#include <algorithm>

namespace bnrun::kernels {

bool TeamHealth::worth_waking(Clock::time_point now) {
  if (paused_ && now < pause_end_) return false;
  paused_ = false;
  return true;
}

void TeamHealth::record(double wall_seconds, double one_thread_seconds, Clock::time_point now) {
  // One loop that waited well past what one thread would have taken means a thread did not get a core in time;
  // waiting for the rest of the window would repeat that wait in every loop.
  const bool stalled = wall_seconds > one_thread_seconds + stall_seconds;
  window_wall_ += wall_seconds;
  window_one_thread_ += one_thread_seconds;
  if (!stalled && ++window_loops_ < window_length) return;
  const bool paid_off = !stalled && window_one_thread_ >= worthwhile_speedup * window_wall_;
  window_loops_ = 0;
  window_wall_ = window_one_thread_ = 0.0;
  if (paid_off) {
    pause_ = shortest_pause;
    return;
  }
  paused_ = true;
  pause_end_ = now + pause_;
  pause_ = std::min<Clock::duration>(pause_ * 2, longest_pause);
}

}  // namespace bnrun::kernels
