#include "train/trainer.h"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/error.h"
#include "core/random.h"
#include "core/resources.h"
#include "distributed/communicator.h"
#include "kernels/gather.h"
#include "kernels/loss.h"
#include "kernels/parallel.h"
#include "optim/optimizer.h"
#include "train/data_parallel.h"
#include "train/memory.h"

namespace bnrun::train {

namespace {

using nn::Matrix;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a batch's rows are scored against: class labels, or a numeric target's (scaled) values for regression.
struct BatchTruth {
  const std::int32_t* labels = nullptr;
  const float* targets = nullptr;  // regression only
};

kernels::RegressionLoss regression_kind(Loss loss) {
  switch (loss) {
    case Loss::mae:
      return kernels::RegressionLoss::mae;
    case Loss::huber:
      return kernels::RegressionLoss::huber;
    default:
      return kernels::RegressionLoss::mse;
  }
}

// Mean loss over the rows (weighted by class_weights when not null: kernels/loss.h), and d(loss)/d(logits) when
// `logits_gradient` is not null.
double batch_loss(Loss loss, const Matrix<float>& logits, BatchTruth truth, Matrix<float>* logits_gradient,
                  const double* class_weights = nullptr, double huber_delta = 1.0) {
  float* gradient = nullptr;
  if (logits_gradient) {
    logits_gradient->reshape(logits.rows, logits.cols);
    gradient = logits_gradient->data();
  }
  const std::int32_t* labels = truth.labels;
  if (is_regression(loss))
    return kernels::regression_loss(regression_kind(loss), logits.data(), truth.targets, logits.rows, gradient,
                                    huber_delta);
  if (loss == Loss::binary_crossentropy)
    return kernels::sigmoid_binary_cross_entropy(logits.data(), labels, logits.rows, gradient, class_weights);
  return kernels::softmax_cross_entropy(logits.data(), labels, logits.rows, logits.cols, gradient, class_weights);
}

// One row's class probabilities in double from its logits: the softmax as the loss kernel computes it
// (exp(z − logsumexp)), or 1 − σ(z), σ(z) for a sigmoid output's single logit.
void probabilities_from_logits(const float* logits, std::size_t width, double* probabilities) {
  if (width == 1) {
    const double z = logits[0];
    const double positive = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
    probabilities[0] = 1.0 - positive;
    probabilities[1] = positive;
    return;
  }
  const double largest = *std::max_element(logits, logits + width);
  double sum_exp = 0.0;
  for (std::size_t j = 0; j < width; ++j) sum_exp += std::exp(static_cast<double>(logits[j]) - largest);
  const double log_sum_exp = largest + std::log(sum_exp);
  for (std::size_t j = 0; j < width; ++j) probabilities[j] = std::exp(static_cast<double>(logits[j]) - log_sum_exp);
}

// Rows predicted right; 0 for a regression loss (whose accuracy is NaN).
std::size_t count_correct(Loss loss, const Matrix<float>& logits, const std::int32_t* labels) {
  std::size_t correct = 0;
  if (is_regression(loss)) return 0;
  for (std::size_t i = 0; i < logits.rows; ++i) {
    const float* row = logits.row(i);
    std::int32_t predicted = 0;
    if (loss == Loss::binary_crossentropy) {
      predicted = row[0] > 0.0f ? 1 : 0;
    } else {
      for (std::size_t j = 1; j < logits.cols; ++j)
        if (row[j] > row[predicted]) predicted = static_cast<std::int32_t>(j);
    }
    correct += predicted == labels[i] ? 1 : 0;
  }
  return correct;
}

// A batch's rows with what they are scored against.
struct Batch {
  Matrix<float> features;
  std::vector<std::int32_t> labels;
  std::vector<float> targets;  // regression only
  BatchTruth truth() const { return {labels.data(), targets.empty() ? nullptr : targets.data()}; }
};

void gather_rows(const kernels::Compute& compute, const data::Split& split, const std::size_t* rows, std::size_t count,
                 Batch& batch) {
  const std::size_t width = split.features.cols;
  batch.features.reshape(count, width);
  batch.labels.resize(count);
  kernels::gather_rows(compute, split.features.data(), rows, count, width, batch.features.data());
  for (std::size_t i = 0; i < count; ++i) batch.labels[i] = split.labels[rows[i]];
  if (!split.scaled_targets.empty()) {
    batch.targets.resize(count);
    for (std::size_t i = 0; i < count; ++i) batch.targets[i] = split.scaled_targets[rows[i]];
  }
}

// The accuracy over `seen` rows, NaN for a regression loss.
double accuracy_of(Loss loss, std::size_t correct, std::size_t seen) {
  if (is_regression(loss)) return std::numeric_limits<double>::quiet_NaN();
  return seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
}

// Adds the gradient of λ·ΣW² to every Dense kernel's gradient.
void add_l2_gradient(const std::vector<nn::Parameter<float>>& parameters, double l2) {
  const auto factor = static_cast<float>(2.0 * l2);
  for (const auto& parameter : parameters) {
    if (!parameter.is_kernel) continue;
    auto& gradients = *parameter.gradients;
    const auto& values = *parameter.values;
    for (std::size_t i = 0; i < values.size(); ++i) gradients[i] += factor * values[i];
  }
}

// Every number the model holds: trainable parameters, then running statistics.
std::vector<std::vector<float>*> model_tensors(nn::Model<float>& model) {
  std::vector<std::vector<float>*> tensors;
  for (const auto& parameter : model.parameters()) tensors.push_back(parameter.values);
  for (const auto& tensor : model.state()) tensors.push_back(tensor.values);
  return tensors;
}

bool all_finite(const std::vector<std::vector<float>*>& tensors) {
  for (const auto* tensor : tensors)
    for (const float value : *tensor)
      if (!std::isfinite(value)) return false;
  return true;
}

void save(const std::vector<std::vector<float>*>& tensors, std::vector<std::vector<float>>& saved) {
  saved.resize(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) saved[i].assign(tensors[i]->begin(), tensors[i]->end());
}

// Copies into the existing storage: the optimizer and the layers keep pointers to it.
void restore(const std::vector<std::vector<float>*>& tensors, const std::vector<std::vector<float>>& saved) {
  for (std::size_t i = 0; i < tensors.size(); ++i) std::copy(saved[i].begin(), saved[i].end(), tensors[i]->begin());
}

// The config checks validation_fraction; this catches a fraction so small that it leaves no rows.
void require_monitored_data(const TrainingConfig& training, const data::PreparedData& data) {
  if (training.early_stopping && monitors_validation(training.early_stopping->monitor) &&
      data.validation.rows() == 0)
    throw UserError(
        fmt::format("training.early_stopping.monitor: \"{}\" needs validation rows, but the validation "
                    "split is empty; raise dataset.validation_fraction",
                    monitor_name(training.early_stopping->monitor)));
}

}  // namespace

SplitEvaluation evaluate_split(const kernels::Compute& compute, nn::Model<float>& model, const data::Split& split,
                               const Scoring& scoring) {
  const bool regression = is_regression(scoring.loss);
  const std::size_t classes = scoring.class_names.size();
  std::vector<double> probabilities;  // classification metrics: rows × classes
  std::vector<double> predictions;    // regression metrics: one unscaled output per row
  if (scoring.with_metrics) {
    if (regression)
      predictions.resize(split.rows());
    else
      probabilities.resize(split.rows() * classes);
  }
  double total_loss = 0.0;
  std::size_t correct = 0;
  Matrix<float> batch;
  for (std::size_t start = 0, end = 0; start < split.rows(); start = end) {
    end = nn::inference_batch_end(model.evaluation_batch_size(), start, split.rows(), evaluation_batch_rows);
    const std::size_t count = end - start;
    batch.reshape(count, split.features.cols);
    std::copy_n(split.features.row(start), count * split.features.cols, batch.data());
    const Matrix<float>& logits = model.forward(compute, batch, nn::Mode::inference);
    const BatchTruth truth{split.labels.data() + start,
                           regression ? split.scaled_targets.data() + start : nullptr};
    total_loss += batch_loss(scoring.loss, logits, truth, nullptr, nullptr, scoring.huber_delta) *
                  static_cast<double>(count);
    correct += count_correct(scoring.loss, logits, truth.labels);
    if (!scoring.with_metrics) continue;
    for (std::size_t i = 0; i < count; ++i) {
      if (regression)
        predictions[start + i] = scoring.target_scaling.unscaled(static_cast<double>(logits(i, 0)));
      else
        probabilities_from_logits(logits.row(i), logits.cols, probabilities.data() + (start + i) * classes);
    }
  }
  SplitEvaluation result;
  result.evaluation = {total_loss / static_cast<double>(split.rows()), accuracy_of(scoring.loss, correct, split.rows())};
  if (scoring.with_metrics) {
    if (regression)
      result.regression = stats::regression_metrics(split.targets, predictions);
    else
      result.classification = stats::classification_metrics(split.labels, probabilities, scoring.class_names);
  }
  return result;
}

Evaluation evaluate(const kernels::Compute& compute, nn::Model<float>& model, const data::Split& split, Loss loss,
                    double huber_delta) {
  Scoring scoring;
  scoring.loss = loss;
  scoring.huber_delta = huber_delta;
  return evaluate_split(compute, model, split, scoring).evaluation;
}

std::vector<double> resolve_class_weights(const std::optional<ClassWeightConfig>& class_weight,
                                          const std::vector<std::string>& class_names,
                                          std::span<const std::int32_t> train_labels) {
  if (!class_weight) return {};
  const std::size_t classes = class_names.size();
  std::vector<double> weights(classes, 1.0);
  if (class_weight->balanced) {
    // scikit-learn's compute_class_weight("balanced"): n_samples / (n_classes · bincount(y)).
    std::vector<std::size_t> counts(classes, 0);
    for (const auto label : train_labels) ++counts[static_cast<std::size_t>(label)];
    for (std::size_t k = 0; k < classes; ++k) {
      if (counts[k] == 0)
        throw UserError(fmt::format("training.class_weight: \"balanced\" needs every class in the training split, "
                                    "but class \"{}\" has no training rows",
                                    class_names[k]));
      weights[k] = static_cast<double>(train_labels.size()) /
                   (static_cast<double>(classes) * static_cast<double>(counts[k]));
    }
    return weights;
  }
  for (const auto& [label, weight] : class_weight->by_label) {
    const auto found = std::find(class_names.begin(), class_names.end(), label);
    if (found == class_names.end())
      throw UserError(fmt::format("training.class_weight.{}: \"{}\" is not a label of the data (its labels: {})",
                                  label, label, fmt::join(class_names, ", ")));
    weights[static_cast<std::size_t>(found - class_names.begin())] = weight;
  }
  return weights;
}

EarlyStopping::EarlyStopping(const EarlyStoppingConfig& settings)
    : higher_is_better_(settings.monitor == Monitor::val_accuracy ||
                        settings.monitor == Monitor::train_accuracy),
      patience_(settings.patience),
      min_delta_(settings.min_delta) {}

bool EarlyStopping::update(double value) {
  ++epochs_seen_;
  const bool improved =
      !std::isnan(value) && (!best_ || (higher_is_better_ ? value - min_delta_ > *best_ : value + min_delta_ < *best_));
  if (improved) {
    best_ = value;
    best_epoch_ = epochs_seen_;
    epochs_without_improvement_ = 0;
  } else {
    ++epochs_without_improvement_;
  }
  return improved;
}

double monitored_value(Monitor monitor, const EpochRecord& record) {
  const double missing = std::numeric_limits<double>::quiet_NaN();
  switch (monitor) {
    case Monitor::val_loss:
      return record.validation ? record.validation->loss : missing;
    case Monitor::val_accuracy:
      return record.validation ? record.validation->accuracy : missing;
    case Monitor::train_loss:
      return record.train_loss;
    case Monitor::train_accuracy:
      return record.train_accuracy;
  }
  return missing;
}

double scheduled_learning_rate(const TrainingConfig& training, std::int64_t epoch) {
  const double base = optim::learning_rate_of(training.optimizer);
  if (const auto* step = std::get_if<StepSchedule>(&training.schedule))
    return base * std::pow(step->factor, static_cast<double>((epoch - 1) / step->every_epochs));
  if (const auto* cosine = std::get_if<CosineSchedule>(&training.schedule)) {
    // lr − (lr − min)·(1 − cos)/2 rather than min + (lr − min)·(1 + cos)/2: equal, but exactly lr in epoch 1.
    const double angle = std::numbers::pi * static_cast<double>(epoch - 1) / static_cast<double>(training.epochs);
    return base - (base - cosine->min_learning_rate) * (1.0 - std::cos(angle)) / 2.0;
  }
  return base;
}

namespace {

// What one process's share of a batch came to, and whether the job should stop.
struct StepOutcome {
  double loss = 0.0;  // mean over the whole batch
  std::size_t correct = 0;
  bool stop = false;
};

// Data parallelism (train/data_parallel.h): this process's slice of the batch, forward and backward, then the
// gradients and the step's numbers added across processes, so that every process ends the step with the whole
// batch's gradient and loss.
StepOutcome data_parallel_step(const kernels::Compute& compute, const nn::Replicas& replicas, nn::Model<float>& model,
                               const TrainingRecipe& recipe, const data::Split& train, const std::size_t* rows,
                               std::size_t count, bool stop, GradientExchange& exchange,
                               const std::vector<nn::Parameter<float>>& parameters, Batch& batch,
                               Matrix<float>& logits_gradient, const double* class_weights) {
  const Slice slice = slice_of_batch(count, replicas.rank(), replicas.size());
  // The slice's share of the batch's loss: its rows' weight over the whole batch's (rows / count unweighted).
  double batch_weight = static_cast<double>(count);
  if (class_weights) {
    batch_weight = 0.0;
    for (std::size_t i = 0; i < count; ++i) batch_weight += class_weights[train.labels[rows[i]]];
  }
  gather_rows(compute, train, rows + slice.first, slice.rows, batch);
  const Matrix<float>& logits = model.forward(compute, batch.features, nn::Mode::train);
  const double slice_weight = kernels::label_weight_sum(batch.labels.data(), slice.rows, class_weights);
  double loss = 0.0;
  std::size_t correct = 0;
  if (slice.rows > 0) {
    loss = batch_loss(recipe.loss, logits, batch.truth(), &logits_gradient, class_weights,
                      recipe.training.huber_delta);
    correct = count_correct(recipe.loss, logits, batch.labels.data());
    const auto share = static_cast<float>(slice_weight / batch_weight);
    for (std::size_t i = 0; i < logits_gradient.size(); ++i) logits_gradient.data()[i] *= share;
  } else {
    logits_gradient.reshape(0, logits.cols);
  }
  model.backward(compute, batch.features, logits_gradient);
  exchange.sum(parameters);
  std::vector<double> numbers = {loss * slice_weight, static_cast<double>(correct), stop ? 1.0 : 0.0};
  nn::sum_in_rank_order(replicas, std::span<double>(numbers));
  return {numbers[0] / batch_weight, static_cast<std::size_t>(numbers[1]), numbers[2] > 0.0};
}

RunResult train_and_test_in_team(const kernels::Compute& compute, const TrainingRecipe& recipe,
                                 const data::PreparedData& data, const EpochObserver& on_epoch) {
  const TrainingConfig& training = recipe.training;
  require_monitored_data(training, data);
  auto model = std::make_shared<nn::Model<float>>(recipe.model, training.seed);
  if (recipe.initialize) recipe.initialize(*model);
  const nn::Replicas* replicas =
      training.distributed && nn::spans_processes(&distributed::world()) ? &distributed::world() : nullptr;
  model->set_replicas(replicas);
  std::optional<GradientExchange> exchange;
  if (replicas) exchange.emplace(*replicas);
  auto optimizer = optim::make_optimizer<float>(training.optimizer);
  const auto parameters = model->parameters();
  const auto tensors = model_tensors(*model);
  const bool skip_single_rows = nn::has_batchnorm(recipe.model);
  Random shuffle_random = Random::stream(training.seed, "shuffle");
  std::optional<EarlyStopping> early_stopping;
  if (training.early_stopping) early_stopping.emplace(*training.early_stopping);
  const bool restore_best = training.early_stopping && training.early_stopping->restore_best;
  std::vector<std::vector<float>> best_model;

  const data::Split& train = data.train;
  const auto batch_size = static_cast<std::size_t>(training.batch_size);
  std::vector<std::size_t> order(train.rows());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Batch batch;
  Matrix<float> logits_gradient;

  RunResult result;
  const std::vector<double> class_weights =
      resolve_class_weights(training.class_weight, data.class_names, train.labels);
  const double* class_weights_or_null = class_weights.empty() ? nullptr : class_weights.data();
  for (std::size_t k = 0; k < class_weights.size(); ++k)
    result.class_weights.emplace_back(data.class_names[k], class_weights[k]);
  result.evaluation_batch_size = recipe.model.evaluation_batch_size;
  for (const auto& layer : model->summary()) {
    result.trainable_parameters += layer.trainable;
    result.non_trainable_parameters += layer.non_trainable;
  }
  std::size_t samples_trained = 0;
  const auto every = training.evaluate_every_steps;
  std::int64_t step = 0;
  double step_evaluation_seconds = 0.0;
  auto record_step = [&](std::int64_t epoch) {
    const auto evaluation_start = Clock::now();
    result.step_history.push_back(
        {step, epoch, evaluate(compute, *model, data.test, recipe.loss, training.huber_delta)});
    step_evaluation_seconds += seconds_since(evaluation_start);
  };
  const auto run_start = Clock::now();
  if (every > 0) record_step(0);
  for (std::int64_t epoch = 1; epoch <= training.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const double learning_rate = scheduled_learning_rate(training, epoch);
    optimizer->set_learning_rate(learning_rate);
    if (training.shuffle) shuffle_random.shuffle(order);
    double loss_sum = 0.0;
    std::size_t correct = 0;
    std::size_t seen = 0;
    bool interrupted = false;
    for (std::size_t start = 0; start < order.size(); start += batch_size) {
      const bool stop = recipe.should_stop && recipe.should_stop();
      if (stop && !replicas) {
        interrupted = true;
        break;
      }
      const std::size_t count = std::min(batch_size, order.size() - start);
      if (count == 1 && skip_single_rows) {
        ++result.skipped_single_row_batches;
        continue;
      }
      if (replicas) {
        // Every process takes part in the step even when it was asked to stop, so that none waits for it.
        const StepOutcome outcome = data_parallel_step(compute, *replicas, *model, recipe, train, order.data() + start,
                                                       count, stop, *exchange, parameters, batch, logits_gradient,
                                                       class_weights_or_null);
        if (outcome.stop) {
          interrupted = true;
          break;
        }
        correct += outcome.correct;
        loss_sum += outcome.loss * static_cast<double>(count);
        seen += count;
        if (!std::isfinite(outcome.loss)) break;
        if (training.l2 > 0.0) add_l2_gradient(parameters, training.l2);
        optimizer->step(compute, parameters);
        ++step;
        if (every > 0 && step % every == 0) record_step(epoch);
        continue;
      }
      gather_rows(compute, train, order.data() + start, count, batch);
      const Matrix<float>& logits = model->forward(compute, batch.features, nn::Mode::train);
      const double loss = batch_loss(recipe.loss, logits, batch.truth(), &logits_gradient, class_weights_or_null,
                                     training.huber_delta);
      correct += count_correct(recipe.loss, logits, batch.labels.data());
      loss_sum += loss * static_cast<double>(count);
      seen += count;
      if (!std::isfinite(loss)) break;
      model->backward(compute, batch.features, logits_gradient);
      if (training.l2 > 0.0) add_l2_gradient(parameters, training.l2);
      optimizer->step(compute, parameters);
      ++step;
      if (every > 0 && step % every == 0) record_step(epoch);
    }
    samples_trained += seen;
    if (interrupted) {
      result.status = RunStatus::interrupted;
      result.stopped_epoch = epoch;
      break;
    }
    EpochRecord record;
    record.epoch = epoch;
    record.train_loss = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
    record.train_accuracy = accuracy_of(recipe.loss, correct, seen);
    record.learning_rate = learning_rate;
    const bool model_finite = all_finite(tensors);
    if (std::isfinite(record.train_loss) && model_finite && data.validation.rows() > 0)
      record.validation = evaluate(compute, *model, data.validation, recipe.loss, training.huber_delta);
    record.seconds = seconds_since(epoch_start);
    result.history.push_back(record);
    if (on_epoch) on_epoch(record);
    const bool validation_diverged = record.validation && !std::isfinite(record.validation->loss);
    if (!std::isfinite(record.train_loss) || !model_finite || validation_diverged) {
      result.status = RunStatus::diverged;
      result.diverged_epoch = epoch;
      break;
    }
    if (early_stopping) {
      if (early_stopping->update(monitored_value(training.early_stopping->monitor, record)) && restore_best)
        save(tensors, best_model);
      if (early_stopping->should_stop()) {
        result.stopped_epoch = epoch;
        break;
      }
    }
  }
  result.train_seconds = seconds_since(run_start) - step_evaluation_seconds;
  result.samples_per_second =
      result.train_seconds > 0 ? static_cast<double>(samples_trained) / result.train_seconds : 0.0;
  if (early_stopping) result.best_epoch = early_stopping->best_epoch();
  if (result.status == RunStatus::ok && restore_best && result.best_epoch > 0 &&
      result.best_epoch < result.history.back().epoch) {
    restore(tensors, best_model);
    result.restored_best = true;
  }
  if (result.status == RunStatus::ok) {
    const Scoring scoring{recipe.loss, training.huber_delta, true, data.class_names, data.target_scaling};
    SplitEvaluation test = evaluate_split(compute, *model, data.test, scoring);
    if (std::isfinite(test.evaluation.loss)) {
      result.test = test.evaluation;
      result.test_metrics = std::move(test.classification);
      result.test_regression = test.regression;
      if (data.validation.rows() > 0) {
        SplitEvaluation validation = evaluate_split(compute, *model, data.validation, scoring);
        result.validation = validation.evaluation;
        result.validation_metrics = std::move(validation.classification);
        result.validation_regression = validation.regression;
      }
    } else {
      result.status = RunStatus::diverged;
      result.diverged_epoch = result.history.back().epoch;
    }
  }
  if (replicas) require_same_model(*replicas, tensors);
  model->set_replicas(nullptr);  // the kept model predicts in this process alone
  if (recipe.keep_model) result.model = std::move(model);
  result.peak_rss_bytes = peak_resident_bytes();
  return result;
}

}  // namespace

RunResult train_and_test(const kernels::Compute& compute, const TrainingRecipe& recipe, const data::PreparedData& data,
                         const EpochObserver& on_epoch) {
  // One team of threads for the whole run: a step's twenty-odd parallel loops then cost a hand-over each
  // instead of a thread fork and join (kernels/parallel.h).
  RunResult result;
  const auto train = [&] {
    kernels::with_thread_team(compute, [&](const kernels::Compute& team_compute) {
      result = train_and_test_in_team(team_compute, recipe, data, on_epoch);
    });
  };
  if (!recipe.training.distributed || distributed::world().size() == 1) {
    train();
    return result;
  }
  // What fails on every process alike (a missing validation split) fails as in one process. Anything thrown
  // later may have happened on this process alone, while the others wait for its next exchange: it ends the job.
  require_monitored_data(recipe.training, data);
  try {
    train();
  } catch (const UserError& error) {
    distributed::abort_job(error.what(), 2);
  } catch (const std::exception& error) {
    distributed::abort_job(fmt::format("internal error: {}", error.what()), 1);
  }
  return result;
}

}  // namespace bnrun::train
