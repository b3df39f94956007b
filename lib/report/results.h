// What a finished experiment leaves behind for scripts: results.json (the contract in the brief, section 3)
// and one history CSV per variant.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "data/dataset.h"
#include "train/experiment.h"

namespace bnrun::report {

struct Environment {
  int threads = 1;
  std::string compiler;
  std::string blas;
};

Environment current_environment(int threads, std::string_view blas);

struct ExperimentReport {
  const config::Config& config;
  const data::PreparedData& data;
  const std::vector<train::VariantRun>& runs;
  Environment environment;
  double load_seconds = 0.0;
};

nlohmann::ordered_json results_json(const ExperimentReport& report);

// epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate (validation cells empty without
// validation).
std::string history_csv(const train::RunResult& result);

// The best validation accuracy over the epochs, if there was a validation split.
std::optional<double> best_validation_accuracy(const train::RunResult& result);

// Creates the output folder (before a run, so a long run does not end in "cannot write") and checks that
// files can be written in it. Throws bnrun::UserError naming the folder.
void prepare_output_folder(const std::string& directory);

// Writes results.json and history_<variant>.csv into `directory` (created if needed), each atomically.
void write_results(const std::string& directory, const ExperimentReport& report);

}  // namespace bnrun::report
