// Mini-batch training of one model, with per-epoch history, and evaluation.
//
// An epoch visits the training rows in an order drawn from the stream (seed, "shuffle"), the same for every
// variant, so bn and no_bn see identical batches. train_loss / train_accuracy are those of the training-mode
// forward passes during the epoch, averaged over rows, as Keras reports them; with BatchNorm they use batch
// statistics, so they differ from an inference-mode evaluation of the same rows (Keras #7265).
// A trailing batch of one row is skipped when the model has BatchNorm (its variance would be zero).
//
// Controls between epochs, in this order, as Keras' callbacks: the learning-rate schedule sets the epoch's rate
// before it starts; after it, a non-finite training or validation loss, or a non-finite number anywhere in the
// model (weights or BatchNorm running statistics), ends the run as "diverged" at that epoch (Keras'
// TerminateOnNaN, which looks at the loss only: a NaN weight behind a relu can leave the loss finite); then early
// stopping looks at its monitored value. The caller's should_stop is asked before every batch, so an interrupt
// is honoured within one batch.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/names.h"
#include "data/dataset.h"
#include "kernels/parallel.h"
#include "nn/model.h"
#include "stats/classification.h"
#include "stats/regression.h"
#include "train/training_config.h"

namespace bnrun::train {

// accuracy is NaN for a regression loss (there are no classes to be right about).
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

struct EpochRecord {
  std::int64_t epoch = 0;  // 1-based
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  std::optional<Evaluation> validation;
  double seconds = 0.0;
  double learning_rate = 0.0;  // the scheduled rate this epoch trained with
};

// interrupted: the caller's should_stop returned true; the epochs completed before it are kept.
enum class RunStatus { ok, diverged, interrupted };
inline constexpr std::array<std::pair<RunStatus, std::string_view>, 3> run_status_names = {
    {{RunStatus::ok, "ok"}, {RunStatus::diverged, "diverged"}, {RunStatus::interrupted, "interrupted"}}};
inline std::string_view status_name(RunStatus status) {
  return name_in(run_status_names, status);
}

// The test split evaluated during training (training.evaluate_every_steps).
struct StepRecord {
  std::int64_t step = 0;   // optimizer steps taken so far (0: the initial model)
  std::int64_t epoch = 0;  // the epoch under way (0 before training)
  Evaluation test;
};

struct RunResult {
  RunStatus status = RunStatus::ok;
  std::int64_t diverged_epoch = 0;  // when status is diverged
  // The epoch in which training stopped before the epoch limit: by early stopping (the last epoch in history)
  // or by an interrupt (the epoch under way, not in history). 0 when training ran to the limit or diverged.
  std::int64_t stopped_epoch = 0;
  std::int64_t best_epoch = 0;     // the epoch early stopping judged best; 0 when early stopping is off
  bool restored_best = false;      // the final model is best_epoch's, not the last epoch's (restore_best)
  std::optional<Evaluation> test;  // of the final model; absent when the run diverged or was interrupted
  // With `test`: the final model's classification metrics on the test split (stats/classification.h) and, when
  // there are validation rows, its evaluation and metrics on the validation split (the history's validation is
  // each epoch's model; this one is the model the test saw, the restored one after restore_best).
  std::optional<stats::ClassificationMetrics> test_metrics;
  std::optional<Evaluation> validation;
  std::optional<stats::ClassificationMetrics> validation_metrics;
  // The same for a regression loss: RMSE, MAE and R² in the target's own units (the predictions unscaled).
  std::optional<stats::RegressionMetrics> test_regression;
  std::optional<stats::RegressionMetrics> validation_regression;
  // training.class_weight as trained with: class name → weight, in class order; empty when unweighted.
  std::vector<std::pair<std::string, double>> class_weights;
  std::vector<EpochRecord> history;
  std::vector<StepRecord> step_history;  // empty unless training.evaluate_every_steps > 0
  double train_seconds = 0.0;            // training only: the evaluations of step_history are not counted
  double samples_per_second = 0.0;
  std::size_t skipped_single_row_batches = 0;
  // Rows per evaluation batch when a BatchNorm layer uses batch statistics in evaluation, else 0
  // (ModelSpec::evaluation_batch_size).
  std::size_t evaluation_batch_size = 0;
  std::size_t trainable_parameters = 0;
  std::size_t non_trainable_parameters = 0;
  std::size_t peak_rss_bytes = 0;  // of the whole process, at the end of this run (data loading included)
  // The final model (the restored one when restored_best), whatever the status; set only with keep_model.
  std::shared_ptr<nn::Model<float>> model;
};

struct TrainingRecipe {
  nn::ModelSpec model;
  TrainingConfig training;
  Loss loss = Loss::sparse_categorical_crossentropy;
  // Called once on the freshly built model, before training (e.g. to load weights from a model file).
  std::function<void(nn::Model<float>&)> initialize = {};
  bool keep_model = false;  // hand the trained model back in RunResult::model
  // Asked before every batch; true ends the run as interrupted (e.g. on Ctrl-C).
  std::function<bool()> should_stop = {};
};

using EpochObserver = std::function<void(const EpochRecord&)>;

// Keras' EarlyStopping decision, fed one monitored value per epoch. NaN never improves.
class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingConfig& settings);
  // Records the next epoch's value; true when it beats the best so far by more than min_delta.
  bool update(double value);
  // `patience` epochs in a row without improvement.
  bool should_stop() const { return epochs_without_improvement_ >= patience_; }
  std::int64_t best_epoch() const { return best_epoch_; }

 private:
  bool higher_is_better_;
  std::int64_t patience_;
  double min_delta_;
  std::optional<double> best_;
  std::int64_t epochs_seen_ = 0;
  std::int64_t best_epoch_ = 0;
  std::int64_t epochs_without_improvement_ = 0;
};

// The value `monitor` names in an epoch's record; NaN when the record has no validation for a val_* monitor.
double monitored_value(Monitor monitor, const EpochRecord& record);

// The learning rate of epoch `epoch` (1-based) under training.schedule, from the optimizer's learning_rate.
double scheduled_learning_rate(const TrainingConfig& training, std::int64_t epoch);

// Builds the model from `recipe.model` with `recipe.training.seed`, trains it on data.train (validating on
// data.validation after each epoch when it has rows) and evaluates the final model on data.test, every kernel
// within `compute`. Throws UserError when early stopping monitors a validation metric and data.validation has
// no rows.
RunResult train_and_test(const kernels::Compute& compute, const TrainingRecipe& recipe, const data::PreparedData& data,
                         const EpochObserver& on_epoch = {});

// How a split is scored: the loss (with training.huber_delta for Huber) and, for the final model, the metrics.
struct Scoring {
  Loss loss = Loss::sparse_categorical_crossentropy;
  double huber_delta = 1.0;
  // Set for a final evaluation: the class names (classification metrics) or the target's scaling (regression).
  bool with_metrics = false;
  std::vector<std::string> class_names;
  data::TargetScaling target_scaling;
};

struct SplitEvaluation {
  Evaluation evaluation;
  std::optional<stats::ClassificationMetrics> classification;  // with_metrics and a classification loss
  std::optional<stats::RegressionMetrics> regression;          // with_metrics and a regression loss
};

// One inference-mode pass of `model` over `split`: its loss and accuracy and, with scoring.with_metrics, its
// metrics. Classification: the class probabilities computed in double from the output layer's logits (softmax,
// or 1 − σ(z), σ(z) for a sigmoid output, as config::check_against_data ties a sigmoid to binary cross-entropy),
// then stats::classification_metrics. Regression: each output unscaled by the target's scaling, in double, then
// stats::regression_metrics against the targets as read. `split` must have rows for the metrics.
SplitEvaluation evaluate_split(const kernels::Compute& compute, nn::Model<float>& model, const data::Split& split,
                               const Scoring& scoring);

// Inference-mode loss and accuracy of `model` on `split`.
Evaluation evaluate(const kernels::Compute& compute, nn::Model<float>& model, const data::Split& split,
                    Loss loss, double huber_delta = 1.0);

// The weight of each class (by index) under training.class_weight, on the training split's labels; empty when
// unset. Throws UserError naming training.class_weight for a label that is not a class, or for "balanced" when
// a class has no training rows (its weight would be infinite).
std::vector<double> resolve_class_weights(const std::optional<ClassWeightConfig>& class_weight,
                                          const std::vector<std::string>& class_names,
                                          std::span<const std::int32_t> train_labels);

}  // namespace bnrun::train
