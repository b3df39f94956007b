// The typed record of a run: what bnrun trained and found, per arm, from the trainer to every output.
//
// A RunRecord is one results document (results.json of a single run, result.json of a study's run folder): the
// resolved config it ran, the machine, the data, and one ArmRecord per arm. Everything above the trainer (the
// study runner, aggregation, claims, tables, progress, the command line) reads these fields; JSON appears only
// in results/codec.h, at the disk boundary.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "train/trainer.h"

namespace bnrun::results {

struct Environment {
  int threads = 1;
  std::string compiler;
  std::string blas;
  std::string cpu;        // the processor's name (cpu::processor_name); "unknown" in files older than this field
  std::string cpu_level;  // the dispatch level the fast paths ran at (cpu::active_level); "unknown" likewise
};

// The compiler bnrun was built with, this CPU and its dispatch level, and the given thread count and BLAS
// description.
Environment current_environment(int threads, std::string_view blas);

struct DataFacts {
  std::vector<std::string> features;
  std::vector<std::string> classes;
  std::size_t train_rows = 0;
  std::size_t validation_rows = 0;
  std::size_t test_rows = 0;
  // The files read, with their size and content hash then (empty in files older than this field).
  std::vector<data::DataFile> files;
  // Set exactly for a numeric target (regression): its standardization. `classes` is then empty.
  std::optional<data::TargetScaling> target_scaling;
  bool regression() const { return target_scaling.has_value(); }
};

// One arm of one run. `result.model` is never part of the record on disk.
struct ArmRecord {
  std::string arm;  // the arm's name (results.json writes it as "arm" and, for older scripts, "variant")
  std::uint64_t seed = 0;
  train::RunResult result;
  double load_seconds = 0.0;  // reading and preparing the data, shared by the run's arms
};

// Where a run sits in a study (absent for a single run).
struct StudyPlace {
  std::size_t index = 0;
  std::string folder;
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();  // swept key path → value
};

struct RunRecord {
  std::optional<StudyPlace> place;
  std::string bnrun_version;
  nlohmann::ordered_json config;  // the resolved config, as config::to_json wrote it
  Environment environment;
  DataFacts data;
  std::vector<ArmRecord> arms;

  // The arm of that name, or null.
  const ArmRecord* arm(std::string_view name) const;
};

// The best validation accuracy over the epochs, if there was a validation split.
std::optional<double> best_validation_accuracy(const train::RunResult& result);
// The lowest finite validation loss over the epochs (a regression run's counterpart of the best accuracy).
std::optional<double> best_validation_loss(const train::RunResult& result);

// Whether the record's runs fit a numeric target (its data says so).
inline bool is_regression(const RunRecord& record) {
  return record.data.regression();
}

// A finished arm: it has a test evaluation (not diverged, not interrupted).
inline bool has_test(const ArmRecord& arm) {
  return arm.result.test.has_value();
}

}  // namespace bnrun::results
