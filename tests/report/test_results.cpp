// results.json keeps the contract of the brief (section 3); history CSV and tables read right.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/load.h"
#include "core/cpu.h"
#include "core/error.h"
#include "data/dataset.h"
#include "report/results.h"
#include "report/table.h"
#include "train/experiment.h"

using Catch::Matchers::Contains;

namespace {

struct SmokeRun {
  bnrun::config::Config config;
  bnrun::data::PreparedData data;
  std::vector<bnrun::train::ArmRun> runs;

  SmokeRun()
      : config(bnrun::config::load_config(std::string(BNRUN_SOURCE_DIR) + "/configs/smoke.json", {})),
        data(bnrun::data::prepare_data(config.dataset, config.training.seed)),
        runs(bnrun::train::run_experiment(bnrun::config::arm_recipes(config, data.feature_names.size(), data.class_names.size()), data)) {}

  bnrun::report::ExperimentReport report() const {
    return {config, data, runs, bnrun::report::current_environment(2, "test"), 0.01};
  }
};

}  // namespace

TEST_CASE("results.json has every key of the contract") {
  const SmokeRun smoke;
  const auto results = nlohmann::json::parse(bnrun::report::results_json(smoke.report()).dump());
  CHECK(results["bnrun_version"] == BNRUN_VERSION);
  CHECK(results["config"]["training"]["epochs"] == 5);
  CHECK(results["environment"]["threads"] == 2);
  CHECK(results["environment"].contains("compiler"));
  CHECK(results["environment"].contains("blas"));
  CHECK(results["environment"]["cpu_level"] == std::string(bnrun::cpu::level_name(bnrun::cpu::active_level())));
  CHECK(!results["environment"]["cpu"].get<std::string>().empty());
  REQUIRE(results["runs"].size() == 2);
  for (const auto& run : results["runs"]) {
    CHECK(run["seed"] == 1);
    CHECK(run["status"] == "ok");
    CHECK(run["test"]["accuracy"].is_number());
    CHECK(run["test"]["loss"].is_number());
    CHECK(run["timings"]["load_seconds"] == 0.01);
    CHECK(run["timings"]["train_seconds"].is_number());
    CHECK(run["timings"]["samples_per_second"].get<double>() > 0);
    CHECK(run["timings"]["peak_rss_bytes"].get<double>() > 1e6);
    REQUIRE(run["history"].size() == 5);
    for (const char* key :
         {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate"})
      CHECK(run["history"][0].contains(key));
    CHECK(run["history"][0]["learning_rate"] == 0.01);
    CHECK(run["stopped_epoch"] == 0);
    CHECK(run["best_epoch"] == 0);
    CHECK(run["restored_best"] == false);
  }
  CHECK(results["runs"][0]["variant"] == "bn");
  CHECK(results["runs"][1]["variant"] == "no_bn");
  CHECK(results["runs"][0]["parameters"]["non_trainable"] == 32);
}

TEST_CASE("history CSV has one row per epoch and empty validation cells without validation") {
  bnrun::train::RunResult result;
  result.history.push_back({1, 0.5, 0.75, std::nullopt, 0.25, 0.01});
  result.history.push_back({2, 0.25, 1.0, bnrun::train::Evaluation{0.125, 0.5}, 0.5, 0.001});
  CHECK(bnrun::report::history_csv(result) ==
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate\n"
        "1,0.5,0.75,,,0.25,0.01\n2,0.25,1,0.125,0.5,0.5,0.001\n");
}

TEST_CASE("an output path that is a file is refused before training") {
  const auto file = std::filesystem::temp_directory_path() / "bnrun_test_not_a_folder";
  std::ofstream(file) << "x";
  CHECK_THROWS_WITH(bnrun::report::prepare_output_folder(file.string()), Contains("cannot create --output folder"));
  std::filesystem::remove(file);
}

TEST_CASE("the comparison table lists both variants and their difference") {
  const SmokeRun smoke;
  const std::string table = bnrun::report::comparison_table(bnrun::report::run_record(smoke.report()), "no_bn");
  CHECK_THAT(table, Contains("variant   test acc   test loss"));
  CHECK_THAT(table, Contains("\nbn "));
  CHECK_THAT(table, Contains("\nno_bn "));
  CHECK_THAT(table, Contains("bn - no_bn: "));
}

TEST_CASE("large counts get thousands separators") {
  CHECK(bnrun::report::with_thousands(0) == "0");
  CHECK(bnrun::report::with_thousands(999) == "999");
  CHECK(bnrun::report::with_thousands(1000) == "1,000");
  CHECK(bnrun::report::with_thousands(1234567) == "1,234,567");
}
