// The one codec of run records: what it writes reads back as the same record, and a wrong field is named.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

#include "core/error.h"
#include "results/codec.h"
#include "results/metrics.h"

using Catch::Matchers::Contains;

namespace {

bnrun::results::RunRecord sample_record() {
  bnrun::results::RunRecord record;
  record.place = bnrun::results::StudyPlace{3, "003_seed=44", {{"training.batch_size", 8}}};
  record.bnrun_version = "0.1.0";
  record.config = {{"name", "sample"}};
  record.environment = {2, "GCC 12.2.0", "none", "AMD EPYC 7B13 64-Core Processor", "avx2"};
  record.data = {{"a", "b"}, {"x", "y"}, 10, 2, 3, {{"data.csv", {1234, "00ff00ff00ff00ff"}}}, std::nullopt};
  bnrun::results::ArmRecord arm;
  arm.arm = "bn_m09";
  arm.seed = 44;
  arm.load_seconds = 0.25;
  arm.result.status = bnrun::train::RunStatus::ok;
  arm.result.test = bnrun::train::Evaluation{0.5, 0.75};
  arm.result.trainable_parameters = 12;
  bnrun::train::EpochRecord epoch;
  epoch.epoch = 1;
  epoch.train_loss = std::nan("");  // a diverged epoch's loss: written as null, read back as NaN
  epoch.train_accuracy = 0.5;
  epoch.validation = bnrun::train::Evaluation{0.7, 0.25};
  epoch.seconds = 0.01;
  epoch.learning_rate = 0.001;
  arm.result.history.push_back(epoch);
  arm.result.step_history.push_back({0, 0, {1.1, 0.3}});
  bnrun::stats::ClassificationMetrics metrics;
  metrics.classes = {"x", "y"};
  metrics.confusion = {{1, 1}, {0, 2}};
  metrics.per_class = {{1.0, 0.5, 2.0 / 3.0, 2}, {2.0 / 3.0, 1.0, 0.8, 2}};
  metrics.macro_f1 = (2.0 / 3.0 + 0.8) / 2.0;
  metrics.balanced_accuracy = 0.75;
  metrics.roc_auc = 0.875;
  metrics.log_loss = 0.4375;
  arm.result.test_metrics = metrics;
  arm.result.validation = bnrun::train::Evaluation{0.6, 0.5};
  metrics.roc_auc = std::nan("");
  metrics.roc_auc_undefined = "class \"y\" does not occur among the 2 labels, so its ROC curve has no positives";
  arm.result.validation_metrics = metrics;
  arm.result.class_weights = {{"x", 0.625}, {"y", 2.5}};
  record.arms.push_back(arm);
  return record;
}

}  // namespace

TEST_CASE("a record written by the codec reads back as the same document", "[results]") {
  const auto written = bnrun::results::to_json(sample_record());
  const auto read = bnrun::results::run_record_from_json(written, "r.json");
  CHECK(bnrun::results::to_json(read).dump() == written.dump());
  REQUIRE(read.arms.size() == 1);
  CHECK(read.arms[0].arm == "bn_m09");
  CHECK(std::isnan(read.arms[0].result.history[0].train_loss));
  CHECK(written["runs"][0]["variant"] == "bn_m09");  // older scripts read the arm's name as "variant"
}

TEST_CASE("the classification metrics and class weights are written under the arm and read back", "[results]") {
  const auto written = bnrun::results::to_json(sample_record());
  const auto& test = written["runs"][0]["test"];
  CHECK(test["accuracy"] == 0.75);  // the keys results.json always had stay first
  CHECK(test["macro_f1"] == (2.0 / 3.0 + 0.8) / 2.0);
  CHECK(test["roc_auc"] == 0.875);
  CHECK_FALSE(test.contains("roc_auc_undefined"));
  CHECK(test["per_class"][1] == nlohmann::ordered_json{{"class", "y"}, {"precision", 2.0 / 3.0}, {"recall", 1.0},
                                                     {"f1", 0.8}, {"support", 2}});
  CHECK(test["confusion_matrix"].dump() == R"({"classes":["x","y"],"counts":[[1,1],[0,2]]})");
  const auto& validation = written["runs"][0]["validation"];
  CHECK(validation["roc_auc"].is_null());
  CHECK(validation["roc_auc_undefined"] ==
        "class \"y\" does not occur among the 2 labels, so its ROC curve has no positives");
  CHECK(written["runs"][0]["class_weights"].dump() == R"({"x":0.625,"y":2.5})");
  const auto read = bnrun::results::run_record_from_json(written, "r.json");
  const auto& result = read.arms[0].result;
  REQUIRE(result.test_metrics);
  CHECK(result.test_metrics->confusion == std::vector<std::vector<std::size_t>>{{1, 1}, {0, 2}});
  REQUIRE(result.validation_metrics);
  CHECK(std::isnan(result.validation_metrics->roc_auc));
  CHECK(result.class_weights == std::vector<std::pair<std::string, double>>{{"x", 0.625}, {"y", 2.5}});
}

TEST_CASE("a results file from before the classification metrics still loads, without them", "[results]") {
  auto document = bnrun::results::to_json(sample_record());
  auto& arm = document["runs"][0];
  for (const char* key : {"macro_f1", "balanced_accuracy", "roc_auc", "log_loss", "per_class", "confusion_matrix"})
    arm["test"].erase(key);
  arm.erase("validation");
  arm.erase("class_weights");
  const auto read = bnrun::results::run_record_from_json(document, "old.json");
  const auto& result = read.arms[0].result;
  REQUIRE(result.test);
  CHECK(result.test->accuracy == 0.75);
  CHECK_FALSE(result.test_metrics);
  CHECK_FALSE(result.validation);
  CHECK(result.class_weights.empty());
  CHECK(std::isnan(bnrun::results::definition_of(bnrun::results::Metric::test_macro_f1).of(read.arms[0])));
}

TEST_CASE("a confusion matrix whose shape disagrees with its classes is refused, naming the key", "[results]") {
  auto document = bnrun::results::to_json(sample_record());
  document["runs"][0]["test"]["confusion_matrix"]["counts"][1] = {0};
  CHECK_THROWS_WITH(bnrun::results::run_record_from_json(document, "r.json"),
                    "r.json: runs[0].test.confusion_matrix.counts[1]: expected an array of 2 counts, one per class");
  document = bnrun::results::to_json(sample_record());
  document["runs"][0]["test"]["per_class"][0]["class"] = "z";
  CHECK_THROWS_WITH(bnrun::results::run_record_from_json(document, "r.json"),
                    "r.json: runs[0].test.per_class[0].class: expected \"x\", the class of confusion_matrix row 0");
}

TEST_CASE("a results field of the wrong type is a user error naming the file and the key", "[results]") {
  auto document = bnrun::results::to_json(sample_record());
  document["runs"][0]["test"]["accuracy"] = "high";
  CHECK_THROWS_AS(bnrun::results::run_record_from_json(document, "r.json"), bnrun::UserError);
  CHECK_THROWS_WITH(bnrun::results::run_record_from_json(document, "r.json"),
                    "r.json: runs[0].test.accuracy: expected a number, got string");
  document = bnrun::results::to_json(sample_record());
  document["runs"][0]["history"][0].erase("epoch");
  CHECK_THROWS_WITH(bnrun::results::run_record_from_json(document, "r.json"),
                    Contains("runs[0].history[0].epoch: is required but missing"));
}

// Found by fuzzing: 4294967295 threads wrapped to -1, which the codec then wrote and could not read back.
TEST_CASE("a thread count beyond an int is refused, not wrapped", "[results]") {
  auto document = bnrun::results::to_json(sample_record());
  document["environment"]["threads"] = 4294967295ULL;
  CHECK_THROWS_WITH(bnrun::results::run_record_from_json(document, "r.json"),
                    "r.json: environment.threads: expected a whole number in [0, 2147483647], got 4294967295");
}

TEST_CASE("every metric has its own key, and the summary metrics are test accuracy then test loss (RMSE first for regression)", "[results]") {
  std::set<std::string_view> keys;
  for (const auto& definition : bnrun::results::metric_definitions()) keys.insert(definition.key);
  CHECK(keys.size() == bnrun::results::metric_definitions().size());
  CHECK(bnrun::results::summary_metrics() ==
        std::vector{bnrun::results::Metric::test_accuracy, bnrun::results::Metric::test_loss});
  // report.metric joins them, once.
  CHECK(bnrun::results::summary_metrics(false, bnrun::results::Metric::test_roc_auc) ==
        std::vector{bnrun::results::Metric::test_accuracy, bnrun::results::Metric::test_loss,
                    bnrun::results::Metric::test_roc_auc});
  CHECK(bnrun::results::summary_metrics(false, bnrun::results::Metric::test_loss) == bnrun::results::summary_metrics());
  // Regression leads with RMSE, lower being better, and has no accuracy.
  using bnrun::results::Metric;
  CHECK(bnrun::results::summary_metrics(true) ==
        std::vector{Metric::test_rmse, Metric::test_loss, Metric::test_mae, Metric::test_r2});
  CHECK_FALSE(bnrun::results::definition_of(Metric::test_rmse).higher_is_better);
  CHECK(bnrun::results::definition_of(Metric::test_r2).higher_is_better);
  CHECK(bnrun::results::primary_metric(true) == Metric::test_rmse);
  CHECK_FALSE(bnrun::results::applies_to(Metric::test_accuracy, true));
  CHECK(bnrun::results::applies_to(Metric::test_loss, true));
  const auto record = sample_record();
  CHECK(bnrun::results::definition_of(bnrun::results::Metric::generalization_gap).of(record.arms[0]) == 0.25);
}

TEST_CASE("the classification metrics are in the registry with their direction and read the test metrics",
          "[results]") {
  using bnrun::results::Metric;
  const auto record = sample_record();
  const auto& arm = record.arms[0];
  struct Expected {
    Metric metric;
    const char* key;
    bool higher_is_better;
    double value;
  };
  for (const Expected& expected : {Expected{Metric::test_macro_f1, "test_macro_f1", true, (2.0 / 3.0 + 0.8) / 2.0},
                                   Expected{Metric::test_balanced_accuracy, "test_balanced_accuracy", true, 0.75},
                                   Expected{Metric::test_roc_auc, "test_roc_auc", true, 0.875},
                                   Expected{Metric::test_log_loss, "test_log_loss", false, 0.4375}}) {
    INFO(expected.key);
    const auto& definition = bnrun::results::definition_of(expected.metric);
    CHECK(definition.key == expected.key);
    CHECK(bnrun::results::metric_from_key(expected.key) == expected.metric);
    CHECK(definition.higher_is_better == expected.higher_is_better);
    CHECK_FALSE(definition.in_every_summary);
    CHECK(definition.of(arm) == expected.value);
  }
}
