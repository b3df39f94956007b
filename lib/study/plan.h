// A study: one config expanded into many runs, Hydra-multirun style, before anything trains.
//
// The grid is the product of the sweep axes (the config's "sweep" section first, in file order, then each
// --sweep, in command-line order; a key given in both takes the command line's values), with the seeds
// innermost. Seeds come from --seeds or the config's "experiment.seeds": a count N means the seeds
// training.seed, training.seed+1, …, training.seed+N−1; a list is used as written. Every run's config is resolved
// and validated here, so a bad sweep value is reported before the first run starts (and by --dry-run).
//
// With dataset.cross_validation {"folds": K}, every seed's run becomes K runs, one per fold (innermost; folder
// "…_fold=3"); they share the group of their setting, so a group's pairs are seed × fold.
//
//   config "sweep": { "training.batch_size": [8, 32], "model.layers[1].momentum": [0.9, 0.99] }
//   command line:   --sweep training.optimizer.learning_rate=0.001,0.01 --seeds 5
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace bnrun::study {

struct SweepAxis {
  std::string key_path;    // e.g. "training.batch_size"
  std::string short_name;  // for folder names and table headers: "batch_size" (more of the path when ambiguous)
  std::vector<nlohmann::json> values;
  std::string origin;  // "sweep" (the config's section) or "--sweep", for messages
};

struct Setting {
  std::string key_path;
  nlohmann::json value;
};

struct PlannedRun {
  std::size_t index = 0;          // 1-based, in grid order
  std::vector<Setting> settings;  // one per axis, in axis order
  std::uint64_t seed = 0;
  std::size_t fold = 0;   // cross-validation: the fold it tests on (1-based; its config's); 0 without
  config::Config config;  // resolved: overrides, settings, seed and fold applied
  std::string folder;     // "003_batch_size=8_seed=2"
  std::size_t group = 0;  // runs that differ only in the seed share a group (0-based, in grid order)
};

struct Plan {
  std::string config_path;
  std::vector<SweepAxis> axes;
  std::vector<std::uint64_t> seeds;
  std::vector<PlannedRun> runs;
  std::size_t group_count = 0;
  // A study (one folder per run, summary files) rather than a single run (results.json): there is a sweep, or
  // seeds were asked for.
  bool is_study = false;
  // The config's "claim" section, if any (study/claims.h reads it): what the study is meant to decide.
  nlohmann::json claim;
  // The config's "launcher" section, if any (launch/slurm.h reads it): how a scheduler runs the study.
  nlohmann::json launcher;
};

struct PlanRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // --set, applied to every run first
  std::vector<std::string> sweeps;     // --sweep key.path=v1,v2,…
  std::string seeds;                   // --seeds: "N" or "s1,s2,…"; empty: the config's experiment.seeds, if any
  std::vector<std::string> arms;       // --arms: the arms to train, by name; empty: the config's
};

Plan make_plan(const PlanRequest& request);

// The plan as a study folder's plan.json holds it (study/shards.h): the config path, axes, seeds, claim and every
// run (index, folder, group, seed, settings, resolved config), plus the command line that made the study, for
// report.md. plan_from_json reads it back (throws UserError naming `file` for a document that is not one).
nlohmann::ordered_json plan_to_json(const Plan& plan, const std::string& command_line);
Plan plan_from_json(const nlohmann::json& document, const std::string& file);
// The runs' part of plan_to_json: what each run is and trains, for comparing two plans.
nlohmann::ordered_json plan_runs_json(const Plan& plan);

// "sweep" values may be written {"label": "3 layers", "value": [...]}: the label names the value in folders,
// tables and plots (for long values such as whole layer lists); value_text gives the label.

// Splits "v1,v2,[1,2],\"a,b\"" at the commas outside brackets, braces and quotes; each piece is read as JSON,
// or as a string when it is not JSON ("relu").
std::vector<nlohmann::json> parse_sweep_values(const std::string& text, const std::string& assignment);

// The value as it appears in folder names and tables: strings bare, numbers as JSON writes them, a labelled
// value by its label.
std::string value_text(const nlohmann::json& value);
bool is_labelled_value(const nlohmann::json& value);
// The value a labelled value stands for; any other value itself.
const nlohmann::json& unlabelled(const nlohmann::json& value);

}  // namespace bnrun::study
