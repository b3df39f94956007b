// What a person at a terminal sees while a plan runs: a live status line on stderr (run k/N, arm, epoch, loss,
// ETA), redrawn at most ten times a second, and one log line per finished run of a study; without a terminal,
// only the log lines. It watches the runner through a RunnerObserver.
#pragma once

#include <memory>

#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

class Progress {
 public:
  // `live`: draw the status line (stderr is a terminal and output is not quieted).
  Progress(const Plan& plan, bool live);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Callbacks that feed this display; the runner serializes them.
  RunnerObserver observer();
  // Removes the status line (before the table is printed).
  void clear();

 private:
  class Display;
  std::unique_ptr<Display> display_;
};

}  // namespace bnrun::study
