// The BatchNorm modes (running_stats false, momentum null, Ghost BN, Batch Renormalization): a full training step
// and the running statistics against PyTorch float64 (scripts/make_golden_bn_modes.py → tests/golden/bn_modes.json),
// the same bits for any thread count, the short-batch rules, and model files that carry every mode.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/random.h"
#include "kernels/loss.h"
#include "modelio/model_file.h"
#include "nn/layers/batchnorm.h"
#include "nn/model.h"
#include "optim/optimizer.h"
#include "tests/nn/golden_file.h"

using bnrun::nn::Activation;
using bnrun::nn::BatchNorm;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::ClipSchedule;
using bnrun::nn::DenseSpec;
using bnrun::nn::Matrix;
using bnrun::nn::Mode;
using bnrun::nn::Model;
using bnrun::nn::ModelSpec;
using bnrun::nn::RenormSpec;
using Catch::Detail::Approx;
using bnrun::testing::check_close;
using bnrun::testing::flatten;
using bnrun::testing::load_golden;
using nlohmann::json;

namespace {

using bnrun::testing::golden_tolerance;
constexpr double tolerance = golden_tolerance;

Matrix<double> matrix_of(const json& rows) {
  Matrix<double> m(rows.size(), rows[0].size());
  const auto values = flatten(rows);
  m.values.assign(values.begin(), values.end());
  return m;
}

ClipSchedule schedule_of(const json& value) {
  return {value["start"].get<double>(), value["end"].get<double>(), value["warmup_steps"].get<std::int64_t>(),
          value["ramp_steps"].get<std::int64_t>()};
}

// Dense(4→5, relu) → BN(the mode) → Dense(5→3, softmax) with the file's initial weights; three plain SGD steps on
// the file's batches; then the evaluation set in inference.
Model<double> trained_golden_model(const json& golden, const BatchNormSpec& batchnorm, const json& expected,
                                   std::size_t evaluation_batch_size = 0) {
  ModelSpec spec{4, {DenseSpec{5, Activation::relu}, batchnorm, DenseSpec{3, Activation::softmax}},
                 evaluation_batch_size};
  Model<double> model(spec, 0);
  const char* names[] = {"W1", "b1", "gamma", "beta", "W2", "b2"};
  auto parameters = model.parameters();
  REQUIRE(parameters.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) *parameters[k].values = flatten(golden["init_params"][names[k]]);
  auto optimizer = bnrun::optim::make_optimizer<double>(
      bnrun::optim::SgdSettings{golden["config"]["learning_rate"].get<double>(), 0.0, false});
  const auto labels = golden["config"]["labels"].get<std::vector<std::int32_t>>();
  std::vector<double> losses;
  for (const json& batch : golden["batches"]) {
    const Matrix<double> x = matrix_of(batch);
    const Matrix<double>& logits = model.forward({}, x, Mode::train);
    Matrix<double> gradient(logits.rows, logits.cols);
    losses.push_back(bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols,
                                                           gradient.data()));
    model.backward({}, x, gradient);
    optimizer->step({}, model.parameters());
  }
  check_close(losses, flatten(expected["step_losses"]), "step loss");
  parameters = model.parameters();
  for (std::size_t k = 0; k < 6; ++k) check_close(*parameters[k].values, flatten(expected["params"][names[k]]), names[k]);

  // The evaluation as train::evaluate batches it.
  const Matrix<double> evaluation = matrix_of(golden["evaluation_x"]);
  const auto evaluation_labels = golden["config"]["evaluation_labels"].get<std::vector<std::int32_t>>();
  std::vector<double> probabilities;
  double loss = 0.0;
  for (std::size_t start = 0, end = 0; start < evaluation.rows; start = end) {
    end = bnrun::nn::inference_batch_end(model.evaluation_batch_size(), start, evaluation.rows, 4096);
    Matrix<double> batch(end - start, evaluation.cols);
    std::copy_n(evaluation.row(start), batch.size(), batch.data());
    Matrix<double> logits = model.forward({}, batch, Mode::inference);
    loss += bnrun::kernels::softmax_cross_entropy<double>(logits.data(), evaluation_labels.data() + start,
                                                          logits.rows, logits.cols, nullptr) *
            static_cast<double>(logits.rows);
    model.to_probabilities({}, logits);
    probabilities.insert(probabilities.end(), logits.values.begin(), logits.values.end());
  }
  CHECK(loss / static_cast<double>(evaluation.rows) ==
        Approx(expected["evaluation_loss"].get<double>()).epsilon(tolerance));
  check_close(probabilities, flatten(expected["evaluation_probabilities"]), "evaluation probabilities");
  return model;
}

BatchNorm<double>& batchnorm_of(Model<double>& model) {
  return dynamic_cast<BatchNorm<double>&>(*model.layers()[1]);
}

}  // namespace

TEST_CASE("running_stats false matches BatchNorm1d(track_running_stats=False), evaluation batches included",
          "[bn_modes]") {
  const json golden = load_golden("bn_modes.json");
  const json& expected = golden["batch_stats"];
  BatchNormSpec batchnorm;
  batchnorm.running_stats = false;
  batchnorm.epsilon = golden["config"]["epsilon"].get<double>();
  Model<double> model =
      trained_golden_model(golden, batchnorm, expected, expected["evaluation_batch_size"].get<std::size_t>());
  CHECK(model.state().empty());
}

TEST_CASE("momentum null matches BatchNorm1d(momentum=None): the cumulative average of every batch", "[bn_modes]") {
  const json golden = load_golden("bn_modes.json");
  const json& expected = golden["cumulative"];
  BatchNormSpec batchnorm;
  batchnorm.momentum.reset();
  batchnorm.epsilon = golden["config"]["epsilon"].get<double>();
  batchnorm.running_variance = bnrun::nn::RunningVariance::unbiased;  // as PyTorch
  Model<double> model = trained_golden_model(golden, batchnorm, expected);
  auto& layer = batchnorm_of(model);
  check_close(layer.running_mean(), flatten(expected["running_mean"]), "running mean");
  check_close(layer.running_variance(), flatten(expected["running_variance"]), "running variance");
  const auto state = model.state();
  REQUIRE(state.size() == 3);
  CHECK(state[2].name == "batchnorm_1/num_batches_tracked");
  CHECK(*state[2].values == std::vector<double>{expected["num_batches_tracked"].get<double>()});
}

TEST_CASE("Ghost BN matches per-virtual-batch statistics and Keras' one running update per step", "[bn_modes]") {
  const json golden = load_golden("bn_modes.json");
  const json& expected = golden["ghost"];
  BatchNormSpec batchnorm;
  batchnorm.momentum = expected["momentum"].get<double>();
  batchnorm.epsilon = golden["config"]["epsilon"].get<double>();
  batchnorm.virtual_batch_size = expected["virtual_batch_size"].get<std::int64_t>();
  Model<double> model = trained_golden_model(golden, batchnorm, expected);
  auto& layer = batchnorm_of(model);
  check_close(layer.running_mean(), flatten(expected["running_mean"]), "running mean");
  check_close(layer.running_variance(), flatten(expected["running_variance"]), "running variance");
}

TEST_CASE("Batch Renormalization matches the paper's equations with scheduled r_max and d_max", "[bn_modes]") {
  const json golden = load_golden("bn_modes.json");
  const json& expected = golden["renorm"];
  BatchNormSpec batchnorm;
  batchnorm.momentum = expected["momentum"].get<double>();
  batchnorm.epsilon = golden["config"]["epsilon"].get<double>();
  batchnorm.renorm = RenormSpec{expected["renorm_momentum"].get<double>(), schedule_of(expected["r_max"]),
                                schedule_of(expected["d_max"])};
  Model<double> model = trained_golden_model(golden, batchnorm, expected);
  auto& layer = batchnorm_of(model);
  // The last step's r and d (the golden r is clipped for some features, free for others).
  check_close(layer.renorm_r(), flatten(expected["r"].back()), "r");
  check_close(layer.renorm_d(), flatten(expected["d"].back()), "d");
  check_close(layer.running_mean(), flatten(expected["running_mean"]), "running mean");
  check_close(layer.running_variance(), flatten(expected["running_variance"]), "running variance");
  check_close(layer.renorm_mean(), flatten(expected["renorm_mean"]), "renorm mean");
  check_close(layer.renorm_stddev(), flatten(expected["renorm_stddev"]), "renorm stddev");
}

TEST_CASE("a clip schedule holds start through the warmup, ramps linearly, then holds end", "[bn_modes]") {
  const ClipSchedule schedule{1.0, 3.0, 5000, 35000};
  CHECK(schedule.at(0) == 1.0);
  CHECK(schedule.at(4999) == 1.0);
  CHECK(schedule.at(5000) == 1.0);
  CHECK(schedule.at(22500) == 2.0);
  CHECK(schedule.at(40000) == 3.0);
  CHECK(schedule.at(1'000'000) == 3.0);
  CHECK(ClipSchedule{0.0, 5.0, 0, 0}.at(0) == 5.0);
}

TEST_CASE("Ghost BN splits a short batch into sub-batches of N and a remainder; a remainder of one row joins the "
          "sub-batch before it",
          "[bn_modes]") {
  BatchNormSpec spec;
  spec.virtual_batch_size = 4;
  BatchNorm<double> layer("batchnorm_1", 2, spec);
  Matrix<double> x(0, 2), y;
  const auto statistics_after = [&](std::size_t rows) {
    bnrun::Random random(rows);
    x.reshape(rows, 2);
    for (double& v : x.values) v = random.normal();
    layer.forward({}, x, y, Mode::train);
    return layer.batch_mean().size() / 2;
  };
  CHECK(statistics_after(8) == 2);
  CHECK(statistics_after(10) == 3);  // 4, 4, 2
  CHECK(statistics_after(9) == 2);   // 4, 5
  CHECK(statistics_after(3) == 1);   // shorter than N: one sub-batch
  // The 4 + 5 split: the second sub-batch's mean is that of rows 4..8.
  statistics_after(9);
  double mean = 0.0;
  for (std::size_t i = 4; i < 9; ++i) mean += x(i, 0);
  CHECK(layer.batch_mean()[2] == Approx(mean / 5).epsilon(1e-14));
}

TEST_CASE("with running_stats false, evaluation depends on the evaluation batch; a last batch of one row joins the "
          "batch before it",
          "[bn_modes]") {
  CHECK(bnrun::nn::inference_batch_end(3, 0, 7, 4096) == 3);
  CHECK(bnrun::nn::inference_batch_end(3, 3, 7, 4096) == 7);  // 4 rows: the seventh joins
  CHECK(bnrun::nn::inference_batch_end(3, 3, 8, 4096) == 6);
  CHECK(bnrun::nn::inference_batch_end(0, 0, 7, 4096) == 7);  // row-independent models: one batch
  CHECK(bnrun::nn::inference_batch_end(0, 0, 9000, 4096) == 4096);
  CHECK(bnrun::nn::inference_batch_end(5, 0, 1, 4096) == 1);  // a single row alone: x̂ = 0, y = β

  BatchNormSpec spec;
  spec.running_stats = false;
  BatchNorm<double> layer("batchnorm_1", 2, spec);
  Matrix<double> x(6, 2), whole, halves_first;
  bnrun::Random random(3);
  for (double& v : x.values) v = random.normal();
  layer.forward({}, x, whole, Mode::inference);
  Matrix<double> first(3, 2);
  std::copy_n(x.row(0), 6, first.data());
  layer.forward({}, first, halves_first, Mode::inference);
  CHECK(halves_first(0, 0) != Approx(whole(0, 0)));
  double mean = 0.0;
  for (std::size_t i = 0; i < 3; ++i) mean += halves_first(i, 1);
  CHECK(mean == Approx(0.0).margin(1e-12));  // normalized with its own statistics
}

TEST_CASE("every mode trains to the same bits with 1, 2 and 3 threads", "[bn_modes][threads]") {
  // 130 features: three chunks of features, so 2 and 3 threads split the BatchNorm kernels.
  BatchNormSpec plain, batch_statistics, cumulative, ghost, renorm;
  batch_statistics.running_stats = false;
  cumulative.momentum.reset();
  ghost.virtual_batch_size = 8;
  renorm.renorm = RenormSpec{0.9, {1.0, 1.2, 0, 0}, {0.1, 0.1, 0, 0}};
  const BatchNormSpec modes[] = {plain, batch_statistics, cumulative, ghost, renorm};
  for (const BatchNormSpec& mode : modes) {
    const ModelSpec spec{10, {DenseSpec{130, Activation::relu}, mode, DenseSpec{3, Activation::softmax}}, 16};
    std::vector<std::vector<std::uint32_t>> results;
    for (int threads = 1; threads <= 3; ++threads) {
      bnrun::kernels::Compute compute;
      compute.threads = threads;
      compute.minimum_parallel_work = 1;
      compute.adapt_to_load = false;
      Model<float> model(spec, 9);
      auto optimizer = bnrun::optim::make_optimizer<float>(bnrun::optim::AdamSettings{0.01});
      bnrun::Random random(4);
      Matrix<float> x(36, 10), gradient;
      std::vector<std::int32_t> labels(36);
      for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>(i % 3);
      for (int step = 0; step < 3; ++step) {
        for (float& v : x.values) v = static_cast<float>(random.normal());
        const Matrix<float>& logits = model.forward(compute, x, Mode::train);
        gradient.reshape(logits.rows, logits.cols);
        bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols, gradient.data());
        model.backward(compute, x, gradient);
        optimizer->step(compute, model.parameters());
      }
      std::vector<std::uint32_t> bits;
      for (const auto& tensor : model.tensors())
        for (const float v : *tensor.values) bits.push_back(std::bit_cast<std::uint32_t>(v));
      for (const float v : model.forward(compute, x, Mode::inference).values)
        bits.push_back(std::bit_cast<std::uint32_t>(v));
      results.push_back(bits);
    }
    INFO(bnrun::nn::layer_to_json(mode).dump());
    CHECK(results[1] == results[0]);
    CHECK(results[2] == results[0]);
  }
}

TEST_CASE("a model file carries every mode: settings, num_batches_tracked, renorm statistics, evaluation batch",
          "[bn_modes][modelio]") {
  BatchNormSpec batch_statistics, cumulative_ghost, renorm;
  batch_statistics.running_stats = false;
  cumulative_ghost.momentum.reset();
  cumulative_ghost.virtual_batch_size = 4;
  renorm.renorm = RenormSpec{0.95, {1.0, 2.5, 3, 7}, {0.0, 2.0, 1, 0}};
  const ModelSpec spec{3,
                       {DenseSpec{5, Activation::relu}, batch_statistics, DenseSpec{4, Activation::tanh},
                        cumulative_ghost, DenseSpec{4, Activation::tanh}, renorm, DenseSpec{3, Activation::softmax}},
                       6};
  Model<float> model(spec, 7);
  bnrun::Random random(8);
  Matrix<float> x(12, 3);
  for (int pass = 0; pass < 3; ++pass) {
    for (float& v : x.values) v = static_cast<float>(random.normal());
    model.forward({}, x, Mode::train);
  }
  bnrun::modelio::ModelMetadata metadata;
  metadata.feature_names = {"a", "b", "c"};
  metadata.target = "label";
  metadata.class_names = {"x", "y", "z"};
  const std::string path =
      (std::filesystem::temp_directory_path() / ("bnrun_bn_modes_" + std::to_string(::getpid()) + ".json")).string();
  bnrun::modelio::save_model(path, spec, model, metadata);
  const auto read = bnrun::modelio::read_model_file(path);
  std::remove(path.c_str());
  CHECK(read.spec.evaluation_batch_size == 6);
  REQUIRE(read.spec.layers.size() == spec.layers.size());
  for (std::size_t i = 0; i < spec.layers.size(); ++i)
    CHECK(bnrun::nn::layer_to_json(read.spec.layers[i]) == bnrun::nn::layer_to_json(spec.layers[i]));
  CHECK(read.tensors.at("batchnorm_2").at("num_batches_tracked").values == std::vector<float>{3.0f});
  CHECK(read.tensors.at("batchnorm_3").at("num_batches_tracked").values == std::vector<float>{3.0f});
  CHECK(read.tensors.at("batchnorm_3").count("renorm_stddev") == 1);
  CHECK(read.tensors.at("batchnorm_1").count("running_mean") == 0);
  const auto rebuilt = bnrun::modelio::build_model(read);
  const auto original_tensors = model.tensors();
  const auto rebuilt_tensors = rebuilt->tensors();
  REQUIRE(original_tensors.size() == rebuilt_tensors.size());
  for (std::size_t t = 0; t < original_tensors.size(); ++t) CHECK(*rebuilt_tensors[t].values == *original_tensors[t].values);
  CHECK(rebuilt->forward({}, x, Mode::inference).values == model.forward({}, x, Mode::inference).values);
}
