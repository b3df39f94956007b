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
  record.data = {{"a", "b"}, {"x", "y"}, 10, 2, 3, {{"data.csv", {1234, "00ff00ff00ff00ff"}}}};
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

TEST_CASE("every metric has its own key, and the summary metrics are test accuracy then test loss", "[results]") {
  std::set<std::string_view> keys;
  for (const auto& definition : bnrun::results::metric_definitions()) keys.insert(definition.key);
  CHECK(keys.size() == bnrun::results::metric_definitions().size());
  CHECK(bnrun::results::summary_metrics() ==
        std::vector{bnrun::results::Metric::test_accuracy, bnrun::results::Metric::test_loss});
  const auto record = sample_record();
  CHECK(bnrun::results::definition_of(bnrun::results::Metric::generalization_gap).of(record.arms[0]) == 0.25);
}
