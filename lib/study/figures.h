// The study's pictures, as plot::Figure objects: learning curves per group (loss and accuracy against the epoch,
// train solid and validation dashed, one colour per arm, mean line and min–max band across seeds) and one
// sweep plot per swept key (final test accuracy and loss against the swept value, per arm).
#pragma once

#include <string>
#include <vector>

#include "plot/svg.h"
#include "study/aggregate.h"

namespace bnrun::study {

enum class FigureKind { learning_curves, sweep };

struct NamedFigure {
  FigureKind kind;
  std::string file;     // relative to the output folder, e.g. "plots/learning_curves.svg"
  std::string caption;  // for report.md
  plot::Figure figure;
};

std::vector<NamedFigure> study_figures(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                       const std::vector<GroupSummary>& groups);

// "batch_size=8, learning_rate=0.01" (empty for a study without a sweep).
std::string settings_label(const Plan& plan, const std::vector<Setting>& settings, const std::string& separator = ", ");

}  // namespace bnrun::study
