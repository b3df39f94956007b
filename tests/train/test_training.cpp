// Whole runs: the ablation is paired, results do not depend on the thread count, and the seed notebook's
// iris experiment learns.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "config/load.h"
#include "data/dataset.h"
#include "kernels/parallel.h"
#include "nn/model.h"
#include "train/experiment.h"

using bnrun::experiment::ArmSpec;

namespace {

const std::string iris_config = std::string(BNRUN_SOURCE_DIR) + "/configs/iris_bn.json";

// Trains iris_bn.json with `overrides`. With `split_every_kernel`, every kernel divides its work between the
// threads however small the layer, so a thread-count test exercises every parallel loop.
// threads 0: every core.
std::vector<bnrun::train::ArmRun> run(const std::vector<std::string>& overrides, int threads,
                                          bool split_every_kernel = false) {
  bnrun::train::ExperimentOptions options;
  options.compute = bnrun::kernels::compute_with_threads(threads);
  if (split_every_kernel) {
    options.compute.minimum_parallel_work = 1;
    options.compute.adapt_to_load = false;  // a busy test machine must not make the loops serial
  }
  const auto config = bnrun::config::load_config(iris_config, overrides);
  const auto data = bnrun::data::prepare_data(config.dataset, config.training.seed, {.compute = options.compute});
  return bnrun::train::run_experiment(bnrun::config::arm_recipes(config, data.feature_names.size(), data.class_names.size()), data, {}, options);
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

void require_identical(const bnrun::train::RunResult& a, const bnrun::train::RunResult& b) {
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t e = 0; e < a.history.size(); ++e) {
    INFO("epoch " << e + 1);
    CHECK(same_bits(a.history[e].train_loss, b.history[e].train_loss));
    CHECK(same_bits(a.history[e].validation->loss, b.history[e].validation->loss));
  }
  CHECK(same_bits(a.test->loss, b.test->loss));
  CHECK(same_bits(a.test->accuracy, b.test->accuracy));
}

}  // namespace

TEST_CASE("results are bit-identical for 1 and 2 threads", "[levels]") {
  // Wide layers so that every kernel really splits its work between the threads.
  const std::vector<std::string> wide = {"model.layers[0].units=300", "model.layers[2].units=130", "training.epochs=5",
                                         "training.batch_size=40"};
  const auto one = run(wide, 1, true);
  const auto two = run(wide, 2, true);
  REQUIRE(one.size() == 2);
  for (std::size_t v = 0; v < one.size(); ++v) require_identical(one[v].result, two[v].result);
}

TEST_CASE("results are bit-identical run to run", "[levels]") {
  const auto first = run({"training.epochs=5"}, 0);
  const auto second = run({"training.epochs=5"}, 0);
  for (std::size_t v = 0; v < first.size(); ++v) require_identical(first[v].result, second[v].result);
}

TEST_CASE("the no_bn variant starts from the same Dense weights as the bn variant") {
  const auto config = bnrun::config::load_config(iris_config, {});
  const bnrun::nn::Model<float> bn(bnrun::config::model_spec(config, 4, 3, bnrun::experiment::builtin_arm("bn")), 42);
  const bnrun::nn::Model<float> no_bn(bnrun::config::model_spec(config, 4, 3, bnrun::experiment::builtin_arm("no_bn")), 42);
  REQUIRE(bn.layers().size() == 5);
  REQUIRE(no_bn.layers().size() == 3);
  auto weights = [](const bnrun::nn::Model<float>& model, std::size_t index) {
    return *model.layers()[index]->parameters().front().values;
  };
  CHECK(weights(bn, 0) == weights(no_bn, 0));
  CHECK(weights(bn, 2) == weights(no_bn, 1));
  CHECK(weights(bn, 4) == weights(no_bn, 2));
  const bnrun::nn::Model<float> other_seed(bnrun::config::model_spec(config, 4, 3, bnrun::experiment::builtin_arm("bn")), 43);
  CHECK(weights(bn, 0) != weights(other_seed, 0));
}

TEST_CASE("the seed notebook's iris model with batchnorm reaches at least 0.90 test accuracy") {
  const auto runs = run({}, 0);
  REQUIRE(runs.size() == 2);
  REQUIRE(runs[0].arm == "bn");
  REQUIRE(runs[0].result.status == bnrun::train::RunStatus::ok);
  CHECK(runs[0].result.history.size() == 50);
  CHECK(runs[0].result.test->accuracy >= 0.90);
  CHECK(runs[1].result.test->accuracy >= 0.80);
}

TEST_CASE("a huge learning rate ends the run as diverged instead of crashing") {
  const auto runs =
      run({"training.optimizer={\"name\":\"sgd\",\"learning_rate\":1e30}", "experiment.variants=[\"no_bn\"]"}, 0);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].result.status == bnrun::train::RunStatus::diverged);
  CHECK(runs[0].result.diverged_epoch >= 1);
  CHECK_FALSE(runs[0].result.test.has_value());
}

TEST_CASE("a trailing batch of one row is skipped for batchnorm models only") {
  // iris: 108 training rows; batch 107 leaves one row over every epoch.
  const auto runs = run({"training.batch_size=107", "training.epochs=3"}, 0);
  CHECK(runs[0].result.skipped_single_row_batches == 3);
  CHECK(runs[1].result.skipped_single_row_batches == 0);
}

TEST_CASE("evaluate_every_steps records the test split at the start and every N steps without changing training") {
  // 108 training rows in batches of 32: 4 steps per epoch, 12 in 3 epochs; every 5 → steps 0, 5, 10.
  const auto plain = run({"training.epochs=3"}, 0);
  const auto measured = run({"training.epochs=3", "training.evaluate_every_steps=5"}, 0);
  for (std::size_t v = 0; v < plain.size(); ++v) {
    require_identical(plain[v].result, measured[v].result);
    const auto& steps = measured[v].result.step_history;
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].step == 0);
    CHECK(steps[0].epoch == 0);
    CHECK(steps[1].step == 5);
    CHECK(steps[1].epoch == 2);
    CHECK(steps[2].step == 10);
    CHECK(steps[2].epoch == 3);
    CHECK(plain[v].result.step_history.empty());
  }
  const auto every_step = run({"training.epochs=1", "training.evaluate_every_steps=4"}, 0);
  for (const auto& variant : every_step) {
    // The last record is the final model: the step count is a multiple of 4, so it equals the test result.
    REQUIRE(variant.result.step_history.back().step == 4);
    CHECK(same_bits(variant.result.step_history.back().test.accuracy, variant.result.test->accuracy));
    CHECK(same_bits(variant.result.step_history.back().test.loss, variant.result.test->loss));
  }
}
