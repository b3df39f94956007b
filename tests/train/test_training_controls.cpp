// Training controls: early stopping (Keras' EarlyStopping), learning-rate schedules, divergence on non-finite
// weights, and the caller's hooks (initialize, keep_model, should_stop).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "config/load.h"
#include "core/error.h"
#include "data/dataset.h"
#include "kernels/parallel.h"
#include "nn/model.h"
#include "report/results.h"
#include "train/experiment.h"
#include "train/trainer.h"

using bnrun::train::Monitor;
using bnrun::train::EarlyStopping;
using bnrun::train::RunResult;
using bnrun::train::RunStatus;
using bnrun::train::TrainingRecipe;

namespace {

const std::string iris_config = std::string(BNRUN_SOURCE_DIR) + "/configs/iris_bn.json";

// iris_bn.json with `overrides`, its data, and the recipe of one variant, ready for train_and_test.
struct IrisRun {
  bnrun::config::Config config;
  bnrun::data::PreparedData data;
  TrainingRecipe recipe;

  explicit IrisRun(const std::vector<std::string>& overrides,
                   const bnrun::experiment::ArmSpec& variant = bnrun::experiment::builtin_arm("bn"))
      : config(bnrun::config::load_config(iris_config, overrides)),
        data(bnrun::data::prepare_data(config.dataset, config.training.seed)),
        recipe{bnrun::config::model_spec(config, data.feature_names.size(), data.class_names.size(), variant), config.training,
               bnrun::config::effective_loss(config)} {}

  RunResult train(const bnrun::kernels::Compute& compute = {}) const {
    return bnrun::train::train_and_test(compute, recipe, data);
  }
};

bnrun::train::EarlyStoppingConfig stopping(Monitor monitor, std::int64_t patience, double min_delta = 0.0) {
  return {monitor, patience, min_delta, false};
}

// The epoch at which `values`, fed one per epoch, make early stopping stop (0: it never does).
std::int64_t stopping_epoch(EarlyStopping& early_stopping, const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    early_stopping.update(values[i]);
    if (early_stopping.should_stop()) return static_cast<std::int64_t>(i + 1);
  }
  return 0;
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Every number the model holds (weights and running statistics), in order.
std::vector<float> model_numbers(bnrun::nn::Model<float>& model) {
  std::vector<float> numbers;
  for (const auto& parameter : model.parameters())
    numbers.insert(numbers.end(), parameter.values->begin(), parameter.values->end());
  for (const auto& tensor : model.state()) numbers.insert(numbers.end(), tensor.values->begin(), tensor.values->end());
  return numbers;
}

const std::vector<std::string> restoring_val_loss = {
    "training.epochs=300", "training.optimizer.learning_rate=0.01",
    "training.early_stopping={\"monitor\":\"val_loss\",\"patience\":5,\"restore_best\":true}"};

}  // namespace

TEST_CASE("early stopping stops after patience epochs without a new best loss", "[controls]") {
  EarlyStopping early_stopping(stopping(Monitor::val_loss, 3));
  CHECK(stopping_epoch(early_stopping, {1.0, 0.8, 0.9, 0.85, 0.81, 0.7}) == 5);
  CHECK(early_stopping.best_epoch() == 2);
}

TEST_CASE("early stopping with patience 1 stops at the first epoch that does not improve", "[controls]") {
  EarlyStopping early_stopping(stopping(Monitor::train_loss, 1));
  CHECK(early_stopping.update(2.0));
  CHECK(early_stopping.update(1.5));
  CHECK_FALSE(early_stopping.should_stop());
  CHECK_FALSE(early_stopping.update(1.5));  // equal is not better
  CHECK(early_stopping.should_stop());
  CHECK(early_stopping.best_epoch() == 2);
}

TEST_CASE("an improvement must beat the best so far by more than min_delta", "[controls]") {
  EarlyStopping early_stopping(stopping(Monitor::val_loss, 2, 0.1));
  CHECK(early_stopping.update(1.0));
  CHECK_FALSE(early_stopping.update(0.95));  // better, but by less than min_delta
  CHECK(early_stopping.update(0.85));        // compared with the best (1.0), not with the last value
  CHECK_FALSE(early_stopping.update(0.8));
  CHECK_FALSE(early_stopping.should_stop());
  CHECK_FALSE(early_stopping.update(0.76));
  CHECK(early_stopping.should_stop());
  CHECK(early_stopping.best_epoch() == 3);
}

TEST_CASE("accuracy monitors improve upwards and losses downwards", "[controls]") {
  const std::vector<double> rising = {0.5, 0.6, 0.7, 0.8};
  EarlyStopping accuracy(stopping(Monitor::val_accuracy, 2));
  CHECK(stopping_epoch(accuracy, rising) == 0);
  CHECK(accuracy.best_epoch() == 4);
  EarlyStopping loss(stopping(Monitor::val_loss, 2));
  CHECK(stopping_epoch(loss, rising) == 3);
  CHECK(loss.best_epoch() == 1);
  EarlyStopping train_accuracy(stopping(Monitor::train_accuracy, 2));
  CHECK(stopping_epoch(train_accuracy, {0.5, 0.6, 0.6, 0.55}) == 4);
  CHECK(train_accuracy.best_epoch() == 2);
}

TEST_CASE("a NaN monitored value never counts as an improvement", "[controls]") {
  EarlyStopping early_stopping(stopping(Monitor::val_loss, 2));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(early_stopping.update(nan));
  CHECK(early_stopping.update(3.0));
  CHECK_FALSE(early_stopping.update(nan));
  CHECK(early_stopping.best_epoch() == 2);
  bnrun::train::EpochRecord record;
  record.train_loss = 0.5;
  record.train_accuracy = 0.75;
  CHECK(std::isnan(bnrun::train::monitored_value(Monitor::val_loss, record)));
  CHECK(bnrun::train::monitored_value(Monitor::train_accuracy, record) == 0.75);
  record.validation = bnrun::train::Evaluation{0.25, 0.875};
  CHECK(bnrun::train::monitored_value(Monitor::val_accuracy, record) == 0.875);
}

TEST_CASE("a run with early stopping stops patience epochs after its best epoch", "[controls]") {
  const IrisRun iris({"training.epochs=300", "training.optimizer.learning_rate=0.01",
                      "training.early_stopping={\"monitor\":\"val_loss\",\"patience\":5}"});
  const RunResult result = iris.train();
  REQUIRE(result.status == RunStatus::ok);
  REQUIRE(result.stopped_epoch > 0);
  CHECK(result.stopped_epoch < 300);
  CHECK(result.best_epoch == result.stopped_epoch - 5);
  CHECK(result.history.size() == static_cast<std::size_t>(result.stopped_epoch));
  CHECK_FALSE(result.restored_best);
  double best = INFINITY;
  for (const auto& record : result.history) best = std::min(best, record.validation->loss);
  CHECK(result.history[static_cast<std::size_t>(result.best_epoch - 1)].validation->loss == best);
}

TEST_CASE("restore_best gives the best epoch's weights and running statistics", "[controls]") {
  IrisRun stopped(restoring_val_loss);
  stopped.recipe.keep_model = true;
  const RunResult result = stopped.train();
  REQUIRE(result.status == RunStatus::ok);
  REQUIRE(result.stopped_epoch > 0);
  CHECK(result.restored_best);
  CHECK(result.best_epoch == result.stopped_epoch - 5);

  // The same run cut at the best epoch, without early stopping: same batches, same model.
  IrisRun cut({"training.epochs=" + std::to_string(result.best_epoch), "training.optimizer.learning_rate=0.01"});
  cut.recipe.keep_model = true;
  const RunResult reference = cut.train();
  CHECK(model_numbers(*result.model) == model_numbers(*reference.model));
  CHECK(same_bits(result.test->loss, reference.test->loss));
  CHECK(same_bits(result.test->accuracy, reference.test->accuracy));
}

TEST_CASE("restore_best also restores when the epoch limit comes before patience runs out", "[controls]") {
  // Training accuracy reaches its best well before epoch 40 and then only equals it.
  const std::vector<std::string> overrides = {
      "training.epochs=40",
      "training.early_stopping={\"monitor\":\"train_accuracy\",\"patience\":1000,\"restore_best\":true}"};
  const RunResult result = IrisRun(overrides).train();
  REQUIRE(result.status == RunStatus::ok);
  CHECK(result.stopped_epoch == 0);
  CHECK(result.history.size() == 40);
  REQUIRE(result.best_epoch < 40);
  CHECK(result.restored_best);
  const RunResult reference = IrisRun({"training.epochs=" + std::to_string(result.best_epoch)}).train();
  CHECK(same_bits(result.test->loss, reference.test->loss));
  CHECK(same_bits(result.test->accuracy, reference.test->accuracy));
}

TEST_CASE("a step schedule multiplies the learning rate by factor every every_epochs epochs", "[controls]") {
  bnrun::train::TrainingConfig training;
  training.epochs = 5;
  training.optimizer = bnrun::optim::SgdSettings{0.1, 0.0, false};
  training.schedule = bnrun::train::StepSchedule{2, 0.5};
  const std::vector<double> expected = {0.1, 0.1, 0.05, 0.05, 0.025};
  for (std::int64_t epoch = 1; epoch <= 5; ++epoch)
    CHECK(bnrun::train::scheduled_learning_rate(training, epoch) == expected[static_cast<std::size_t>(epoch - 1)]);
  training.schedule = bnrun::train::ConstantSchedule{};
  CHECK(bnrun::train::scheduled_learning_rate(training, 5) == 0.1);
}

TEST_CASE("a cosine schedule starts at the learning rate and decays towards the minimum", "[controls]") {
  bnrun::train::TrainingConfig training;
  training.epochs = 10;
  training.optimizer = bnrun::optim::AdamSettings{0.1, 0.9, 0.999, 1e-7};
  training.schedule = bnrun::train::CosineSchedule{0.01};
  CHECK(bnrun::train::scheduled_learning_rate(training, 1) == 0.1);
  CHECK(bnrun::train::scheduled_learning_rate(training, 6) == Approx(0.055).epsilon(1e-12));  // cos(π/2) = 0
  // Epoch 10 of 10: 0.01 + 0.09·(1 + cos(0.9π))/2.
  CHECK(bnrun::train::scheduled_learning_rate(training, 10) == Approx(0.01220245676).epsilon(1e-9));
  for (std::int64_t epoch = 2; epoch <= 10; ++epoch) {
    CHECK(bnrun::train::scheduled_learning_rate(training, epoch) <
          bnrun::train::scheduled_learning_rate(training, epoch - 1));
    CHECK(bnrun::train::scheduled_learning_rate(training, epoch) > 0.01);
  }
  training.epochs = 1;
  CHECK(bnrun::train::scheduled_learning_rate(training, 1) == 0.1);
}

TEST_CASE("each epoch trains with the scheduled learning rate and records it", "[controls]") {
  IrisRun stepped({"training.epochs=4", "training.schedule={\"type\":\"step\",\"every_epochs\":1,\"factor\":0.5}"});
  const RunResult result = stepped.train();
  REQUIRE(result.history.size() == 4);
  CHECK(result.history[0].learning_rate == 0.001);
  CHECK(result.history[1].learning_rate == 0.0005);
  CHECK(result.history[3].learning_rate == 0.000125);
  // A different rate from epoch 2 on changes the training from epoch 2 on, and only from there.
  const RunResult constant = IrisRun({"training.epochs=4"}).train();
  CHECK(same_bits(result.history[0].train_loss, constant.history[0].train_loss));
  CHECK_FALSE(same_bits(result.history[1].train_loss, constant.history[1].train_loss));
}

TEST_CASE("a huge SGD learning rate ends as diverged with its epoch, and results.json has no NaN", "[controls]") {
  const auto config = bnrun::config::load_config(
      iris_config, {"training.optimizer={\"name\":\"sgd\",\"learning_rate\":1e6}", "experiment.variants=[\"no_bn\"]"});
  const auto data = bnrun::data::prepare_data(config.dataset, config.training.seed);
  const auto runs = bnrun::train::run_experiment(bnrun::config::arm_recipes(config, data.feature_names.size(), data.class_names.size()), data);
  REQUIRE(runs.size() == 1);
  const RunResult& result = runs[0].result;
  CHECK(result.status == RunStatus::diverged);
  REQUIRE(result.diverged_epoch >= 1);
  CHECK(result.history.size() == static_cast<std::size_t>(result.diverged_epoch));
  CHECK_FALSE(result.test.has_value());
  const auto text =
      bnrun::report::results_json({config, data, runs, bnrun::report::current_environment(1, "test"), 0.0}).dump();
  CHECK(text.find("NaN") == std::string::npos);
  CHECK(text.find("nan") == std::string::npos);
  CHECK(text.find("Infinity") == std::string::npos);
  const auto run = nlohmann::json::parse(text)["runs"][0];
  CHECK(run["status"] == "diverged");
  CHECK(run["diverged_epoch"] == result.diverged_epoch);
  CHECK(run["test"].is_null());
}

TEST_CASE("a NaN weight ends the run as diverged even when the loss stays finite", "[controls]") {
  // A NaN bias in front of a relu: relu turns it into 0, so the loss is finite, and its gradient is 0, so the
  // NaN stays. Only the check of the weights can see it.
  IrisRun iris({"training.epochs=5"}, bnrun::experiment::builtin_arm("no_bn"));
  iris.recipe.initialize = [](bnrun::nn::Model<float>& model) {
    (*model.parameters()[1].values)[0] = std::numeric_limits<float>::quiet_NaN();
  };
  const RunResult result = iris.train();
  CHECK(result.status == RunStatus::diverged);
  CHECK(result.diverged_epoch == 1);
  REQUIRE(result.history.size() == 1);
  CHECK(std::isfinite(result.history[0].train_loss));
  CHECK_FALSE(result.test.has_value());
}

TEST_CASE("should_stop ends the run as interrupted, keeping the completed epochs", "[controls]") {
  // iris_bn: 108 training rows, batch 32: four batches an epoch. The tenth question is in epoch 3.
  IrisRun iris({"training.epochs=10"});
  int questions = 0;
  iris.recipe.should_stop = [&questions] { return ++questions == 10; };
  const RunResult result = iris.train();
  CHECK(result.status == RunStatus::interrupted);
  CHECK(result.stopped_epoch == 3);
  CHECK(result.history.size() == 2);
  CHECK_FALSE(result.test.has_value());

  const std::vector<bnrun::train::ArmRun> runs = {{"bn", 42, result}};
  const auto json =
      bnrun::report::results_json({iris.config, iris.data, runs, bnrun::report::current_environment(1, "test"), 0.0});
  CHECK(json["runs"][0]["status"] == "interrupted");
  CHECK(json["runs"][0]["stopped_epoch"] == 3);
  CHECK(json["runs"][0]["test"].is_null());
}

TEST_CASE("keep_model hands back the final model, which evaluates to the run's test result", "[controls]") {
  IrisRun iris({"training.epochs=5"});
  CHECK(iris.train().model == nullptr);
  iris.recipe.keep_model = true;
  const RunResult result = iris.train();
  REQUIRE(result.model != nullptr);
  const auto again = bnrun::train::evaluate({}, *result.model, iris.data.test, iris.recipe.loss);
  CHECK(same_bits(again.loss, result.test->loss));
  CHECK(same_bits(again.accuracy, result.test->accuracy));
}

TEST_CASE("the initialize hook runs once on the new model and training starts from its weights", "[controls]") {
  // All weights zero: every logit is 0, so the first batch's loss is ln 3 for the three iris classes. One batch
  // per epoch makes that the epoch's training loss.
  IrisRun iris({"training.epochs=1", "training.batch_size=108"}, bnrun::experiment::builtin_arm("no_bn"));
  int calls = 0;
  iris.recipe.initialize = [&calls](bnrun::nn::Model<float>& model) {
    ++calls;
    for (const auto& parameter : model.parameters())
      std::fill(parameter.values->begin(), parameter.values->end(), 0.0f);
  };
  const RunResult result = iris.train();
  CHECK(calls == 1);
  REQUIRE(result.history.size() == 1);
  CHECK(result.history[0].train_loss == Approx(std::log(3.0)).epsilon(1e-6));
  CHECK(result.history[0].train_accuracy == Approx(1.0 / 3.0).margin(0.2));
}

TEST_CASE("early stopping, restore, schedules and the classification metrics give bit-identical results for 1 and 2 "
          "threads",
          "[controls][levels]") {
  std::vector<std::string> overrides = restoring_val_loss;
  overrides.push_back("model.layers[0].units=300");
  overrides.push_back("training.schedule={\"type\":\"cosine\",\"min_learning_rate\":0.001}");
  auto run_with = [&](int threads) {
    return IrisRun(overrides).train({.threads = threads, .minimum_parallel_work = 1, .adapt_to_load = false});
  };
  const RunResult one = run_with(1);
  const RunResult two = run_with(2);
  REQUIRE(one.history.size() == two.history.size());
  CHECK(one.best_epoch == two.best_epoch);
  CHECK(one.stopped_epoch == two.stopped_epoch);
  for (std::size_t e = 0; e < one.history.size(); ++e)
    CHECK(same_bits(one.history[e].train_loss, two.history[e].train_loss));
  CHECK(same_bits(one.test->loss, two.test->loss));
  REQUIRE(one.test_metrics);
  REQUIRE(two.test_metrics);
  CHECK(one.test_metrics->confusion == two.test_metrics->confusion);
  CHECK(same_bits(one.test_metrics->log_loss, two.test_metrics->log_loss));
  CHECK(same_bits(one.test_metrics->roc_auc, two.test_metrics->roc_auc));
  CHECK(same_bits(one.validation_metrics->log_loss, two.validation_metrics->log_loss));
}

TEST_CASE("a validation monitor with an empty validation split is refused before training", "[controls]") {
  IrisRun iris({});
  iris.recipe.training.early_stopping = bnrun::train::EarlyStoppingConfig{};
  iris.data.validation = bnrun::data::Split{};
  CHECK_THROWS_AS(iris.train(), bnrun::UserError);
  CHECK_THROWS_WITH(iris.train(), Catch::Matchers::Contains("training.early_stopping.monitor"));
}

TEST_CASE("class weights of 1 train bit for bit as no class weights", "[controls][class_weight]") {
  const RunResult unweighted = IrisRun({"training.epochs=5"}).train();
  const RunResult ones =
      IrisRun({"training.epochs=5", "training.class_weight={\"setosa\":1,\"versicolor\":1,\"virginica\":1}"}).train();
  REQUIRE(unweighted.history.size() == ones.history.size());
  for (std::size_t e = 0; e < ones.history.size(); ++e)
    CHECK(same_bits(unweighted.history[e].train_loss, ones.history[e].train_loss));
  CHECK(same_bits(unweighted.test->loss, ones.test->loss));
  CHECK(unweighted.class_weights.empty());
  REQUIRE(ones.class_weights.size() == 3);
  CHECK(ones.class_weights[2] == std::pair<std::string, double>{"virginica", 1.0});
}

TEST_CASE("a class weight changes training, and the weights used are reported in class order", "[controls][class_weight]") {
  const RunResult unweighted = IrisRun({"training.epochs=5"}).train();
  const RunResult weighted = IrisRun({"training.epochs=5", "training.class_weight={\"versicolor\":4}"}).train();
  CHECK_FALSE(same_bits(unweighted.history.back().train_loss, weighted.history.back().train_loss));
  REQUIRE(weighted.class_weights.size() == 3);
  CHECK(weighted.class_weights[0] == std::pair<std::string, double>{"setosa", 1.0});
  CHECK(weighted.class_weights[1] == std::pair<std::string, double>{"versicolor", 4.0});
}

TEST_CASE("balanced class weights are n_rows / (n_classes * rows of the class), as scikit-learn's",
          "[controls][class_weight]") {
  const std::vector<std::string> classes = {"a", "b", "c"};
  const std::vector<std::int32_t> labels = {0, 0, 0, 0, 0, 0, 1, 1, 2, 0};  // 7, 2, 1 rows
  const auto weights =
      bnrun::train::resolve_class_weights(bnrun::train::ClassWeightConfig{true, {}}, classes, labels);
  REQUIRE(weights.size() == 3);
  CHECK(weights[0] == 10.0 / (3.0 * 7.0));
  CHECK(weights[1] == 10.0 / (3.0 * 2.0));
  CHECK(weights[2] == 10.0 / (3.0 * 1.0));
  CHECK(bnrun::train::resolve_class_weights(std::nullopt, classes, labels).empty());
  const std::vector<std::int32_t> without_c = {0, 1, 1};
  CHECK_THROWS_WITH(bnrun::train::resolve_class_weights(bnrun::train::ClassWeightConfig{true, {}}, classes, without_c),
                    "training.class_weight: \"balanced\" needs every class in the training split, but class \"c\" "
                    "has no training rows");
  CHECK_THROWS_WITH(
      bnrun::train::resolve_class_weights(bnrun::train::ClassWeightConfig{false, {{"d", 2.0}}}, classes, labels),
      Catch::Matchers::StartsWith("training.class_weight.d: \"d\" is not a label of the data"));
}

TEST_CASE("a finished run has the final model's test and validation metrics, the test's matching its accuracy",
          "[controls][classification]") {
  IrisRun iris({"training.epochs=5"});
  iris.recipe.keep_model = true;
  const RunResult result = iris.train();
  REQUIRE(result.test_metrics);
  REQUIRE(result.validation);
  REQUIRE(result.validation_metrics);
  CHECK(result.test_metrics->classes == iris.data.class_names);
  std::size_t diagonal = 0, rows = 0;
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t p = 0; p < 3; ++p) {
      rows += result.test_metrics->confusion[t][p];
      if (t == p) diagonal += result.test_metrics->confusion[t][p];
    }
  CHECK(rows == iris.data.test.rows());
  CHECK(static_cast<double>(diagonal) / static_cast<double>(rows) == result.test->accuracy);
  // The log loss of the double probabilities is the test loss of the float logits, up to rounding.
  CHECK(result.test_metrics->log_loss == Approx(result.test->loss).epsilon(1e-6));
  const auto again = bnrun::train::evaluate({}, *result.model, iris.data.validation, iris.recipe.loss);
  CHECK(same_bits(again.loss, result.validation->loss));
  std::size_t validation_rows = 0;
  for (const auto& scores : result.validation_metrics->per_class) validation_rows += scores.support;
  CHECK(validation_rows == iris.data.validation.rows());
}

TEST_CASE("a sigmoid output trains with balanced class weights and gets the binary metrics",
          "[controls][class_weight][classification]") {
  const std::vector<std::string> breast_cancer = {
      "dataset.path=" + std::string(BNRUN_SOURCE_DIR) + "/datasets/breast_cancer.csv", "dataset.target=diagnosis",
      "model.layers[4]={\"type\":\"dense\",\"units\":1,\"activation\":\"sigmoid\"}", "training.epochs=3"};
  std::vector<std::string> balanced = breast_cancer;
  balanced.push_back("training.class_weight=\"balanced\"");
  const RunResult unweighted = IrisRun(breast_cancer).train();
  const IrisRun weighted_run(balanced);
  const RunResult weighted = weighted_run.train();
  REQUIRE(weighted.class_weights.size() == 2);
  // n / (2 n_k) for both classes: 1 / w_0 + 1 / w_1 = 2.
  CHECK(1.0 / weighted.class_weights[0].second + 1.0 / weighted.class_weights[1].second == Approx(2.0).epsilon(1e-15));
  CHECK_FALSE(same_bits(unweighted.history.back().train_loss, weighted.history.back().train_loss));
  REQUIRE(weighted.test_metrics);
  const auto& metrics = *weighted.test_metrics;
  CHECK(metrics.classes == weighted_run.data.class_names);
  CHECK(metrics.confusion.size() == 2);
  CHECK(std::isfinite(metrics.roc_auc));
  CHECK(metrics.roc_auc_undefined.empty());
  CHECK(metrics.log_loss == Approx(weighted.test->loss).epsilon(1e-6));  // evaluation is never weighted
  const double correct = static_cast<double>(metrics.confusion[0][0] + metrics.confusion[1][1]);
  CHECK(correct / static_cast<double>(weighted_run.data.test.rows()) == weighted.test->accuracy);
}
