// How a network is trained: the "training" section of a config (config/config.h parses it; train/trainer.h
// acts on it), and the names of its choices.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/names.h"
#include "optim/optimizer.h"

namespace bnrun::train {

// The classification losses need a softmax or sigmoid output and class labels; the regression losses (mse, mae,
// huber) a linear output of one unit and a numeric target (kernels/loss.h defines each).
enum class Loss { sparse_categorical_crossentropy, binary_crossentropy, mse, mae, huber };
inline constexpr std::array<std::pair<Loss, std::string_view>, 5> loss_names = {
    {{Loss::sparse_categorical_crossentropy, "sparse_categorical_crossentropy"},
     {Loss::binary_crossentropy, "binary_crossentropy"},
     {Loss::mse, "mse"},
     {Loss::mae, "mae"},
     {Loss::huber, "huber"}}};

// A regression loss: the target is a number, not a class.
inline constexpr bool is_regression(Loss loss) {
  return loss == Loss::mse || loss == Loss::mae || loss == Loss::huber;
}

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

// training.class_weight, as scikit-learn's class_weight: each training row's cross-entropy term is multiplied by
// its class's weight and the batch loss is sum(w_i * l_i) / sum(w_i) (PyTorch's CrossEntropyLoss(weight=...),
// reduction "mean"). balanced: n_rows / (n_classes * rows_of_class) on the training split; by_label: label text
// (as in the data) → weight, 1 for a label not listed. Evaluation metrics are never weighted.
struct ClassWeightConfig {
  bool balanced = false;
  std::vector<std::pair<std::string, double>> by_label;
};

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
  // Rows per evaluation batch for a model whose BatchNorm normalizes with batch statistics in inference
  // (running_stats false); other models' evaluation does not depend on it. Unset: batch_size.
  std::optional<std::int64_t> evaluation_batch_size;
  // Data parallelism over the processes of an MPI job (lib/distributed): every batch is split between them, the
  // gradients are added across them every step, and every process keeps the same model. One process: no change.
  bool distributed = false;
  std::optional<ClassWeightConfig> class_weight;  // unset: every row weighs 1
  // The Huber loss's δ (Keras' Huber(delta)), in the units of the (standardized) target the model is trained on.
  double huber_delta = 1.0;
};

inline std::string_view loss_name(Loss loss) {
  return name_in(loss_names, loss);
}

inline std::string_view monitor_name(Monitor monitor) {
  return name_in(monitor_names, monitor);
}

// val_loss and val_accuracy: they need validation rows.
inline bool monitors_validation(Monitor monitor) {
  return monitor == Monitor::val_loss || monitor == Monitor::val_accuracy;
}

}  // namespace bnrun::train
