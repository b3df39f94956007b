// The experiment config: what a JSON config file means, fully resolved (every default filled in). Each part is
// the typed settings of the module it configures (data::DatasetConfig, train::TrainingConfig, the layers'
// nn::LayerSpec, the arms' experiment::ArmSpec): config parses and writes them, and knows what they mean together;
// the modules below it never see a config.
//
// Schema (keys not listed are errors; see configs/ for examples and docs/CONFIG.md for every key; the JSON Schema
// that `bnrun schema` prints is recorded from parse_config itself, config/schema.h):
//   name                 string, default: the config file's stem
//   description          string, free text
//   dataset   { path | train + test, target, features, delimiter, standardize, test_fraction,
//               validation_fraction, stratify, shuffle }
//   model     { layers: [ {type: dense|batchnorm|activation|layernorm|groupnorm|dropout, ...} ] }
//   training  { epochs, batch_size, seed, loss, shuffle, l2, optimizer {name: adam|sgd, ...},
//               schedule {type: constant|step|cosine, ...}, early_stopping {monitor, patience, ...} }
//   experiment{ arms: ["bn", "no_bn", {name, kind, ...}], reference: "no_bn" }   (variants: an older name for arms)
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "data/dataset_config.h"
#include "experiment/arms.h"
#include "nn/spec.h"
#include "results/metrics.h"
#include "train/experiment.h"
#include "train/training_config.h"

namespace bnrun::config {

struct ExperimentConfig {
  std::vector<experiment::ArmSpec> arms = experiment::default_arms();
  // The arm every other arm is paired against; empty when none is (the default "no_bn" was not selected).
  std::string reference = "no_bn";
  const experiment::ArmSpec* arm(std::string_view name) const;
};

// How results are shown. metric: a metric of the registry (results/metrics.h) that the run's comparison table shows
// in a column of its own, after test accuracy and loss, and in each arm's difference from the reference arm;
// unset: the table shows test accuracy and loss only.
struct ReportConfig {
  std::optional<results::Metric> metric;
};

struct Config {
  std::string name;
  std::string description;
  data::DatasetConfig dataset;
  std::vector<nn::LayerSpec> layers;
  train::TrainingConfig training;
  ExperimentConfig experiment;
  ReportConfig report;
};

// Validates `document` and fills in defaults. Relative data paths are resolved against `base_directory`.
// `default_name` is used when the config has no "name". Throws KeyPathError naming the key path.
Config parse_config(const nlohmann::json& document, const std::string& base_directory, const std::string& default_name);

// The resolved config as JSON, every default written out; parse_config(to_json(c)) == c.
nlohmann::ordered_json to_json(const Config& config);

// Checks that hold only once the data is known: the output layer's width against the number of classes, the
// loss against the output activation, and each layer (of every arm's model) against its input width
// (`feature_count` is the model's).
void check_against_data(const Config& config, std::size_t class_count, std::size_t feature_count);
// Throws KeyPathError at training.class_weight.<label> for a label of training.class_weight that is not one of
// the data's classes (class_names: the label texts as the data has them).
void check_class_weight_labels(const Config& config, const std::vector<std::string>& class_names);

// The output layer's width for data with `class_count` classes: its "units", or when that is "auto", one per class
// (1 for a sigmoid output with binary cross-entropy).
std::size_t output_width(const Config& config, std::size_t class_count);

// The model an arm of the experiment trains (experiment/arms.h), for data with `feature_count` features and
// `class_count` classes (which fill an "auto" output width).
nn::ModelSpec model_spec(const Config& config, std::size_t feature_count, std::size_t class_count,
                         const experiment::ArmSpec& arm);

// The loss the run uses: the configured one, or the one the output layer implies.
train::Loss effective_loss(const Config& config);

// What train::run_experiment trains for this config: each arm's model (model_spec) with the config's training
// settings and effective loss, for data with `feature_count` features and `class_count` classes.
std::vector<train::Arm> arm_recipes(const Config& config, std::size_t feature_count, std::size_t class_count);

}  // namespace bnrun::config
