// Expanding a config, --sweep and --seeds into runs: order, names, precedence and early errors.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "study/plan.h"
#include "tests/study/study_fixtures.h"

using bnrun::study::make_plan;
using bnrun::study::PlanRequest;
using bnrun::study::testing::TemporaryStudy;
using Catch::Matchers::Contains;

namespace {

PlanRequest request_for(const TemporaryStudy& study) {
  PlanRequest request;
  request.config_path = study.config_path();
  return request;
}

std::string plan_error(const PlanRequest& request) {
  try {
    make_plan(request);
  } catch (const bnrun::UserError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("without seeds or a sweep the plan is one run in the single-run layout", "[study]") {
  const TemporaryStudy study("plan_single");
  const auto plan = make_plan(request_for(study));
  REQUIRE(plan.runs.size() == 1);
  CHECK_FALSE(plan.is_study);
  CHECK(plan.runs[0].seed == 10);
  CHECK(plan.runs[0].config.training.seed == 10);
}

TEST_CASE("a seed count N runs the seeds training.seed to training.seed + N - 1", "[study]") {
  const TemporaryStudy study("plan_seeds");
  auto request = request_for(study);
  request.seeds = "4";
  const auto plan = make_plan(request);
  CHECK(plan.is_study);
  REQUIRE(plan.runs.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(plan.runs[i].seed == 10 + i);
    CHECK(plan.runs[i].config.training.seed == 10 + i);
    CHECK(plan.runs[i].group == 0);
    CHECK(plan.runs[i].index == i + 1);
  }
  CHECK(plan.runs[1].folder == "002_seed=11");
}

TEST_CASE("a seed list uses the listed seeds and refuses repeats", "[study]") {
  const TemporaryStudy study("plan_seed_list");
  auto request = request_for(study);
  request.seeds = "7,3,99";
  const auto plan = make_plan(request);
  REQUIRE(plan.seeds == std::vector<std::uint64_t>{7, 3, 99});
  request.seeds = "7,3,7";
  CHECK_THAT(plan_error(request), Contains("seed 7 is listed twice"));
  request.seeds = "0";
  CHECK_THAT(plan_error(request), Contains("between 1 and 100000"));
  request.seeds = "many";
  CHECK_THAT(plan_error(request), Contains("--seeds: expected a count or a comma-separated list"));
}

TEST_CASE("a two-key sweep is the product, first key slowest and seeds innermost", "[study]") {
  const TemporaryStudy study("plan_grid");
  auto request = request_for(study);
  request.sweeps = {"training.batch_size=8,32", "training.optimizer.learning_rate=0.001,0.01,0.1"};
  request.seeds = "2";
  const auto plan = make_plan(request);
  REQUIRE(plan.runs.size() == 12);
  CHECK(plan.group_count == 6);
  CHECK(plan.runs[0].folder == "001_batch_size=8_learning_rate=0.001_seed=10");
  CHECK(plan.runs[1].folder == "002_batch_size=8_learning_rate=0.001_seed=11");
  CHECK(plan.runs[2].folder == "003_batch_size=8_learning_rate=0.01_seed=10");
  CHECK(plan.runs[11].folder == "012_batch_size=32_learning_rate=0.1_seed=11");
  CHECK(plan.runs[11].config.training.batch_size == 32);
  CHECK(plan.runs[11].group == 5);
  const auto& adam = std::get<bnrun::optim::AdamSettings>(plan.runs[11].config.training.optimizer);
  CHECK(adam.learning_rate == 0.1);
}

TEST_CASE("the config's sweep section keeps its file order and the command line replaces its values", "[study]") {
  const TemporaryStudy study("plan_config_sweep",
                             R"(, "sweep": {"training.epochs": [1, 2], "training.batch_size": [4, 8]})");
  auto request = request_for(study);
  auto plan = make_plan(request);
  REQUIRE(plan.axes.size() == 2);
  CHECK(plan.axes[0].key_path == "training.epochs");
  CHECK(plan.axes[1].key_path == "training.batch_size");
  CHECK(plan.runs.size() == 4);
  request.sweeps = {"training.batch_size=16"};
  plan = make_plan(request);
  REQUIRE(plan.runs.size() == 2);
  CHECK(plan.runs[1].config.training.batch_size == 16);
  CHECK(plan.runs[1].config.training.epochs == 2);
}

// Found by fuzzing: the file's key order was looked up in the replaced section, reading a key it no longer has.
TEST_CASE("a sweep section replaced by --set sweep= is planned alone", "[study]") {
  const TemporaryStudy study("plan_set_sweep",
                             R"(, "sweep": {"training.epochs": [1, 2], "training.batch_size": [4, 8]})");
  auto request = request_for(study);
  request.overrides = {R"(sweep={"training.epochs":[3,4,5]})"};
  const auto plan = make_plan(request);
  REQUIRE(plan.axes.size() == 1);
  CHECK(plan.axes[0].key_path == "training.epochs");
  CHECK(plan.runs.size() == 3);
}

// Found by fuzzing: a non-JSON sweep value became a string that JSON could not write (an internal error).
TEST_CASE("a --sweep value that is not UTF-8 is refused like a --set value", "[study]") {
  const TemporaryStudy study("plan_sweep_utf8");
  auto request = request_for(study);
  request.sweeps = {"training.optimizer.name=\xff"};
  CHECK(plan_error(request) == "--sweep training.optimizer.name: a value is not valid UTF-8 text");
}

TEST_CASE("the config's experiment.seeds is a count or a list", "[study]") {
  const TemporaryStudy counted("plan_config_seeds", R"(, "experiment": {"seeds": 3})");
  CHECK(make_plan(request_for(counted)).seeds == std::vector<std::uint64_t>{10, 11, 12});
  const TemporaryStudy listed("plan_config_seed_list", R"(, "experiment": {"seeds": [5, 1]})");
  CHECK(make_plan(request_for(listed)).seeds == std::vector<std::uint64_t>{5, 1});
  const TemporaryStudy wrong("plan_config_seed_wrong", R"(, "experiment": {"seeds": "three"})");
  CHECK_THAT(plan_error(request_for(wrong)), Contains("experiment.seeds: expected a count"));
}

TEST_CASE("a bad sweep value is reported before anything runs, naming the sweep", "[study]") {
  const TemporaryStudy study("plan_bad_value");
  auto request = request_for(study);
  request.sweeps = {"training.batch_size=8,0"};
  const std::string message = plan_error(request);
  CHECK_THAT(message, Contains("training.batch_size"));
  CHECK_THAT(message, Contains("(from --sweep training.batch_size=0)"));
  request.sweeps = {"training.batch_sise=8"};
  CHECK_THAT(plan_error(request), Contains("did you mean"));
  request.sweeps = {"training.batch_size"};
  CHECK_THAT(plan_error(request), Contains("expected key.path=v1,v2,..."));
}

TEST_CASE("sweeping training.seed and asking for seeds at once is refused", "[study]") {
  const TemporaryStudy study("plan_seed_twice");
  auto request = request_for(study);
  request.sweeps = {"training.seed=1,2"};
  request.seeds = "3";
  CHECK_THAT(plan_error(request), Contains("training.seed is both swept and set by --seeds"));
}

TEST_CASE("sweep values split at top-level commas only", "[study]") {
  const auto values = bnrun::study::parse_sweep_values(R"(relu,[1,2],"a,b",{"k":[1,2]},0.5)", "x");
  REQUIRE(values.size() == 5);
  CHECK(values[0] == "relu");
  CHECK(values[1] == nlohmann::json::array({1, 2}));
  CHECK(values[2] == "a,b");
  CHECK(values[3]["k"].size() == 2);
  CHECK(values[4] == 0.5);
  CHECK_THROWS_AS(bnrun::study::parse_sweep_values("1,,2", "x"), bnrun::UserError);
  CHECK_THROWS_AS(bnrun::study::parse_sweep_values("[1,2", "x"), bnrun::UserError);
}

TEST_CASE("swept keys are named by their last key unless two share it", "[study]") {
  const TemporaryStudy study("plan_names");
  auto request = request_for(study);
  request.sweeps = {"model.layers[0].units=4,8", "model.layers[2].units=3"};
  const auto plan = make_plan(request);
  CHECK(plan.axes[0].short_name == "model.layers[0].units");
  CHECK(plan.runs[0].folder == "001_model.layers-0-.units=4_model.layers-2-.units=3");
  request.sweeps = {"model.layers[1].momentum=0.9,0.99"};
  CHECK(make_plan(request).axes[0].short_name == "momentum");
}

TEST_CASE("a --set override can set experiment.seeds and the sweep section too", "[study]") {
  const TemporaryStudy study("plan_set_study_keys");
  auto request = request_for(study);
  request.overrides = {"experiment.seeds=2", R"(sweep={"training.epochs": [1, 2]})", "training.batch_size=8"};
  const auto plan = make_plan(request);
  CHECK(plan.seeds == std::vector<std::uint64_t>{10, 11});
  REQUIRE(plan.runs.size() == 4);
  CHECK(plan.runs[3].config.training.epochs == 2);
  CHECK(plan.runs[3].config.training.batch_size == 8);
}

TEST_CASE("cross-validation makes one run per fold inside each seed, all in the setting's group", "[study][cv]") {
  const TemporaryStudy study("plan_folds");
  auto request = request_for(study);
  request.overrides = {"dataset={\"path\":\"data.csv\",\"target\":\"label\",\"cross_validation\":{\"folds\":3}}"};
  request.seeds = "2";
  request.sweeps = {"training.batch_size=4,8"};
  const auto plan = make_plan(request);
  CHECK(plan.is_study);
  REQUIRE(plan.runs.size() == 12);  // 2 batch sizes × 2 seeds × 3 folds
  CHECK(plan.group_count == 2);
  CHECK(plan.runs[0].folder == "001_batch_size=4_seed=10_fold=1");
  CHECK(plan.runs[2].folder == "003_batch_size=4_seed=10_fold=3");
  CHECK(plan.runs[3].folder == "004_batch_size=4_seed=11_fold=1");
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    CHECK(plan.runs[i].fold == i % 3 + 1);
    CHECK(plan.runs[i].config.dataset.fold == i % 3 + 1);
    CHECK(plan.runs[i].config.dataset.folds == 3);
    CHECK(plan.runs[i].group == i / 6);
  }
}

TEST_CASE("a config that names its fold is one run, and cross-validation settings cannot be swept", "[study][cv]") {
  const TemporaryStudy study("plan_one_fold");
  auto request = request_for(study);
  request.overrides = {
      "dataset={\"path\":\"data.csv\",\"target\":\"label\",\"cross_validation\":{\"folds\":5,\"fold\":2}}"};
  const auto plan = make_plan(request);
  REQUIRE(plan.runs.size() == 1);
  CHECK(plan.runs[0].fold == 2);
  request.sweeps = {"dataset.cross_validation.folds=3,5"};
  CHECK_THAT(plan_error(request), Contains("dataset.cross_validation.folds: cross-validation settings cannot be swept"));
}

TEST_CASE("experiment.vary holds the split or the initialization fixed across a study's seeds", "[study]") {
  const TemporaryStudy study("plan_vary");
  auto request = request_for(study);
  request.seeds = "3";
  const auto both = make_plan(request);
  CHECK(both.runs[1].config.training.seed == 11);
  CHECK_FALSE(both.runs[1].config.dataset.split_random_state.has_value());  // the split follows training.seed

  request.overrides = {"experiment.vary=\"initialization\""};
  const auto initialization = make_plan(request);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(initialization.runs[i].config.training.seed == 10 + i);
    CHECK(initialization.runs[i].config.dataset.split_random_state == 10u);  // the config's seed, for every run
  }

  request.overrides = {"experiment.vary=\"split\""};
  const auto split = make_plan(request);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(split.runs[i].seed == 10 + i);
    CHECK(split.runs[i].config.training.seed == 10);
    CHECK(split.runs[i].config.dataset.split_random_state == 10u + i);
  }
  CHECK(split.runs[2].folder == both.runs[2].folder);

  request.overrides = {"experiment.vary=\"weights\""};
  CHECK_THAT(plan_error(request), Contains("experiment.vary: expected \"both\", \"initialization\" or \"split\""));
  request.overrides = {"experiment.vary=\"split\""};
  request.seeds.clear();
  CHECK_THAT(plan_error(request), Contains("experiment.vary applies to the seeds of a study"));
}
