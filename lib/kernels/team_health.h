// Team health: whether the team or thread 0 alone trains faster now (thread 0 of a ThreadTeam asks before each
// loop and reports after it; only thread 0 uses it, so it needs no lock).
//
// Two threads are not always faster than one, and no fixed rule says when. Beside a CPU-bound process a thread
// may wait milliseconds for its core. On some virtual machines, some of the time, the two cores exchange cache
// lines so slowly that a training step ran slower on two threads than on one (50,000 against 68,000 samples/s,
// the optimizer step alone taking 18 times its one-thread CPU time) while OpenBLAS' own sgemm, which shares
// little, still scaled 2x. Timing each loop both ways does not see this: a loop run alone right after the team
// ran pays for fetching the data from the other core too. So whole stretches of training are compared: the loops
// run in one mode for a window of `window_seconds`, and the rate of work done (the loops' multiply-adds per
// second of wall time, serial code between them included) decides. The mode that wins is kept; the other is
// tried again after `first_interval` windows, then after twice as many each time it loses, up to
// `longest_interval`. A trial lasts two windows and only the second counts: the first pays for moving the data.
// Which threads run a loop never changes its result (parallel.h): only the speed depends on this.
#pragma once

#include <chrono>

namespace bnrun::kernels {

class TeamHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double window_seconds = 0.01;
  static constexpr int first_interval = 8;
  static constexpr int longest_interval = 128;
  // A mode must beat the other by this much to take over: on a tie, one thread (the other spins less).
  static constexpr double margin = 1.05;

  // Whether the loop starting now should go to the team.
  bool use_team() const { return current_team_; }
  // A loop of `work` multiply-adds ended at `now` (whichever mode ran it).
  void record(double work, Clock::time_point now);

 private:
  void end_window(double rate);

  bool chosen_team_ = true;   // the mode that won the last comparison
  bool current_team_ = true;  // the mode of the window under way (the other one during a trial)
  int trial_windows_left_ = 0;
  int windows_since_trial_ = 0;
  int interval_ = 1;  // the first trial comes after one window
  double chosen_rate_ = 0.0;
  bool window_open_ = false;
  Clock::time_point window_start_;
  double window_work_ = 0.0;
};

}  // namespace bnrun::kernels
