// Mini-batch training of one model, with per-epoch history, and evaluation.
//
// An epoch visits the training rows in an order drawn from the stream (seed, "shuffle"), the same for every
// variant, so bn and no_bn see identical batches. train_loss / train_accuracy are those of the training-mode
// forward passes during the epoch, averaged over rows, as Keras reports them; with BatchNorm they use batch
// statistics, so they differ from an inference-mode evaluation of the same rows (Keras #7265).
// A trailing batch of one row is skipped when the model has BatchNorm (its variance would be zero).
// A non-finite training loss stops the run with status "diverged" at that epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "config/config.h"
#include "data/dataset.h"
#include "nn/model.h"

namespace bnrun::train {

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
};

enum class RunStatus { ok, diverged };

struct RunResult {
  RunStatus status = RunStatus::ok;
  std::int64_t diverged_epoch = 0;  // when status is diverged
  std::optional<Evaluation> test;   // absent when the run diverged
  std::vector<EpochRecord> history;
  double train_seconds = 0.0;
  double samples_per_second = 0.0;
  std::size_t skipped_single_row_batches = 0;
  std::size_t trainable_parameters = 0;
  std::size_t non_trainable_parameters = 0;
  std::size_t peak_rss_bytes = 0;  // of the whole process, at the end of this run (data loading included)
};

struct TrainingRecipe {
  nn::ModelSpec model;
  config::TrainingConfig training;
  config::Loss loss = config::Loss::sparse_categorical_crossentropy;
};

using EpochObserver = std::function<void(const EpochRecord&)>;

// Builds the model from `recipe.model` with `recipe.training.seed`, trains it on data.train (validating on
// data.validation after each epoch when it has rows) and evaluates it on data.test.
RunResult train_and_test(const TrainingRecipe& recipe, const data::PreparedData& data,
                         const EpochObserver& on_epoch = {});

// Inference-mode loss and accuracy of `model` on `split`.
Evaluation evaluate(nn::Model<float>& model, const data::Split& split, config::Loss loss);

}  // namespace bnrun::train
