#include "kernels/team_health.h"

#include <algorithm>

namespace bnrun::kernels {

void TeamHealth::record(double work, Clock::time_point now) {
  if (!window_open_) {
    // The window starts with its first loop's end: the time before it belongs to no mode.
    window_open_ = true;
    window_start_ = now;
    window_work_ = 0.0;
    return;
  }
  window_work_ += work;
  const double seconds = std::chrono::duration<double>(now - window_start_).count();
  if (seconds < window_seconds) return;
  window_open_ = false;
  end_window(window_work_ / seconds);
}

void TeamHealth::end_window(double rate) {
  if (trial_windows_left_ == 0) {
    chosen_rate_ = rate;
    if (++windows_since_trial_ >= interval_) {
      trial_windows_left_ = 2;
      current_team_ = !chosen_team_;
    }
    return;
  }
  if (--trial_windows_left_ > 0) return;  // the trial's first window moved the data; the second one counts
  windows_since_trial_ = 0;
  if (rate > margin * chosen_rate_ || (rate * margin >= chosen_rate_ && !current_team_)) {
    chosen_team_ = current_team_;
    chosen_rate_ = rate;
    interval_ = first_interval;
  } else {
    current_team_ = chosen_team_;
    interval_ = std::min(2 * std::max(interval_, first_interval / 2), longest_interval);
  }
}

}  // namespace bnrun::kernels
