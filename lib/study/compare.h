// `bnrun compare DIR...`: one table across finished runs, with a column for each config key whose value differs
// between them (as MLflow's and DVC's compare views), so "what changed and what did it do" is one glance.
// A DIR may be a single run's output (results.json), a study (every run folder's result.json), one run folder
// (result.json), or such a JSON file itself.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "results/codec.h"

namespace bnrun::study {

struct ComparedRun {
  std::string label;              // the folder (or file) it came from
  nlohmann::ordered_json config;  // the resolved config it ran
  std::vector<results::SummaryEntry> arms;  // one line each; a failed run's arms carry only its error
};

// Reads the runs under each path; throws UserError naming a path that holds no bnrun results.
std::vector<ComparedRun> read_compared_runs(const std::vector<std::string>& paths);

// The config keys (dotted paths, "model.layers[1].units") whose values are not the same in every run.
std::vector<std::string> differing_keys(const std::vector<ComparedRun>& runs);

// The table: run, the differing keys, variant, status, test accuracy and loss, epochs, training time.
std::string comparison_across_runs(const std::vector<ComparedRun>& runs);

}  // namespace bnrun::study
