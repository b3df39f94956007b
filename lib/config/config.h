// The experiment config: what a JSON config file means, fully resolved (every default filled in).
//
// Schema (keys not listed are errors; see configs/ for examples and docs/CONFIG.md for every key):
//   name                 string, default: the config file's stem
//   description          string, free text
//   dataset   { path | train + test, target, features, delimiter, standardize, test_fraction,
//               validation_fraction, stratify, shuffle }
//   model     { layers: [ {type: dense|batchnorm|activation, ...} ] }
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

#include "experiment/arms.h"
#include "nn/spec.h"
#include "optim/optimizer.h"

namespace bnrun::config {

struct DatasetConfig {
  // Either one file split into train and test (`path`), or separate `train_path` and `test_path`.
  std::string path;
  std::string train_path;
  std::string test_path;
  std::string target;
  std::vector<std::string> features;  // empty: every column but the target
  char delimiter = ',';
  bool standardize = true;
  double test_fraction = 0.2;
  double validation_fraction = 0.0;
  bool stratify = false;
  bool shuffle = true;

  bool has_separate_test_file() const { return !train_path.empty(); }
};

enum class Loss { sparse_categorical_crossentropy, binary_crossentropy };
inline constexpr std::array<std::pair<Loss, std::string_view>, 2> loss_names = {
    {{Loss::sparse_categorical_crossentropy, "sparse_categorical_crossentropy"},
     {Loss::binary_crossentropy, "binary_crossentropy"}}};

// What early stopping watches. The validation metrics need validation rows (dataset.validation_fraction > 0).
enum class Monitor { val_loss, val_accuracy, train_loss, train_accuracy };
inline constexpr std::array<std::pair<Monitor, std::string_view>, 4> monitor_names = {
    {{Monitor::val_loss, "val_loss"},
     {Monitor::val_accuracy, "val_accuracy"},
     {Monitor::train_loss, "train_loss"},
     {Monitor::train_accuracy, "train_accuracy"}}};

// Keras' EarlyStopping: an epoch improves when the monitored value beats the best so far by more than
// min_delta (lower for losses, higher for accuracies); training stops after `patience` epochs without one.
// restore_best is Keras' restore_best_weights, except that the best epoch's model is also put back when the
// epoch limit comes first (Keras restores only when it stops early).
struct EarlyStoppingConfig {
  Monitor monitor = Monitor::val_loss;
  std::int64_t patience = 10;
  double min_delta = 0.0;
  bool restore_best = false;
};

// Learning-rate schedules, applied per epoch (not per batch) to the optimizer's learning_rate lr; e = 1, 2, ….
struct ConstantSchedule {};
// lr·factor^floor((e − 1) / every_epochs)
struct StepSchedule {
  std::int64_t every_epochs = 1;
  double factor = 0.1;
};
// min + (lr − min)·(1 + cos(π·(e − 1) / epochs)) / 2: lr in the first epoch, close to min in the last.
struct CosineSchedule {
  double min_learning_rate = 0.0;
};
using Schedule = std::variant<ConstantSchedule, StepSchedule, CosineSchedule>;

struct TrainingConfig {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 32;
  std::uint64_t seed = 42;
  std::optional<Loss> loss;  // unset: chosen from the output layer (softmax → sparse CE, sigmoid → binary CE)
  bool shuffle = true;       // reshuffle the training rows every epoch
  double l2 = 0.0;           // λ·ΣW² on Dense kernels, as Keras' kernel_regularizer=l2(λ)
  optim::OptimizerSettings optimizer = optim::AdamSettings{};
  Schedule schedule = ConstantSchedule{};
  std::optional<EarlyStoppingConfig> early_stopping;  // unset: train all epochs
  // Every this many optimizer steps (and before the first), evaluate the test split and record it: the "test
  // accuracy against training steps" curve of Ioffe & Szegedy's Figure 1. 0: only at the end.
  std::int64_t evaluate_every_steps = 0;
};

struct ExperimentConfig {
  std::vector<experiment::ArmSpec> arms = experiment::default_arms();
  // The arm every other arm is paired against; empty when none is (the default "no_bn" was not selected).
  std::string reference = "no_bn";
  const experiment::ArmSpec* arm(std::string_view name) const;
};

struct Config {
  std::string name;
  std::string description;
  DatasetConfig dataset;
  std::vector<nn::LayerSpec> layers;
  TrainingConfig training;
  ExperimentConfig experiment;
};

std::string_view loss_name(Loss loss);
std::string_view monitor_name(Monitor monitor);
// val_loss and val_accuracy: they need validation rows.
bool monitors_validation(Monitor monitor);

// Validates `document` and fills in defaults. Relative data paths are resolved against `base_directory`.
// `default_name` is used when the config has no "name". Throws KeyPathError naming the key path.
Config parse_config(const nlohmann::json& document, const std::string& base_directory, const std::string& default_name);

// The resolved config as JSON, every default written out; parse_config(to_json(c)) == c.
nlohmann::ordered_json to_json(const Config& config);

// Checks that hold only once the data is known: the output layer's width against the number of classes, and
// the loss against the output activation. `feature_count` is the model's input width.
void check_against_data(const Config& config, std::size_t class_count);

// The model an arm of the experiment trains (experiment/arms.h), for data with `feature_count` features.
nn::ModelSpec model_spec(const Config& config, std::size_t feature_count, const experiment::ArmSpec& arm);

// The loss the run uses: the configured one, or the one the output layer implies.
Loss effective_loss(const Config& config);

}  // namespace bnrun::config
