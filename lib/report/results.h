// What a finished experiment leaves behind: its typed record (results/record.h), and for a single run the files
// results.json (the contract in the brief, section 3) and one history CSV per arm.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "data/dataset.h"
#include "results/codec.h"
#include "results/record.h"
#include "train/experiment.h"

namespace bnrun::report {

using results::current_environment;
using results::Environment;

struct ExperimentReport {
  const config::Config& config;
  const data::PreparedData& data;
  const std::vector<train::ArmRun>& runs;
  Environment environment;
  double load_seconds = 0.0;
};

results::RunRecord run_record(const ExperimentReport& report);
// The record as results.json holds it.
nlohmann::ordered_json results_json(const ExperimentReport& report);

using results::best_validation_accuracy;
using results::history_csv;

// Creates the output folder (before a run, so a long run does not end in "cannot write") and checks that
// files can be written in it. Throws bnrun::UserError naming the folder.
void prepare_output_folder(const std::string& directory);

}  // namespace bnrun::report
