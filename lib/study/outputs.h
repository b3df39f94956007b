// What a study leaves behind and prints: the terminal table (mean ± std per variant, the paired bn − no_bn
// difference with its 95 % interval), and in the output folder summary.json (the results.json contract with one
// entry per run and variant, plus the groups' statistics), summary.csv (one row per run and variant), report.md
// and the SVG plots it links.
#pragma once

#include <string>
#include <vector>

#include "report/results.h"
#include "study/aggregate.h"
#include "study/figures.h"

namespace bnrun::study {

// The dry-run listing: one line per planned run.
std::string plan_table(const Plan& plan);

// The final table on stdout.
std::string study_table(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                        const std::vector<GroupSummary>& groups);

nlohmann::ordered_json summary_json(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                    const std::vector<GroupSummary>& groups, const report::Environment& environment);
std::string summary_csv(const Plan& plan, const std::vector<RunOutcome>& outcomes);
std::string report_markdown(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                            const std::vector<GroupSummary>& groups, const std::vector<NamedFigure>& figures,
                            const std::string& command_line);

// The file that says a folder was written by bnrun (so --overwrite and --resume may use it).
inline constexpr const char* marker_file = ".bnrun";

// Makes `directory` ready for a run or study. An existing folder that holds files is refused unless bnrun made
// it (a marker file says so) and `overwrite` or `resume` is given. Deletes nothing: returns whether the folder
// holds results, which the caller resumes or replaces (study/replacement.h). Throws UserError.
bool prepare_output_folder(const std::string& directory, bool overwrite, bool resume);

// Writes summary.json, summary.csv, report.md and plots/*.svg for a study; report.md and the learning-curve plot
// for a single run (beside its results.json). Each file atomically and on its own, summary.json last: returns
// the files that could not be written ("<path>: cannot write: <reason>"), having written every other one.
std::vector<std::string> write_study_outputs(const std::string& directory, const Plan& plan, const std::vector<RunOutcome>& outcomes,
                         const report::Environment& environment, const std::string& command_line);

}  // namespace bnrun::study
