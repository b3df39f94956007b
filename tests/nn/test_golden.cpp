// The whole training step (Dense → BN → softmax cross-entropy → optimizer) against values computed by an
// independent PyTorch implementation in double precision (scripts/make_golden.py → tests/golden/*.json).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "kernels/loss.h"
#include "nn/model.h"
#include "optim/optimizer.h"
#include "tests/nn/golden_file.h"

using bnrun::nn::Activation;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::DenseSpec;
using bnrun::nn::Matrix;
using bnrun::nn::Mode;
using bnrun::nn::Model;
using bnrun::nn::ModelSpec;
using Catch::Detail::Approx;
using bnrun::testing::check_close;
using bnrun::testing::flatten;
using bnrun::testing::load_golden;
using nlohmann::json;

namespace {

using bnrun::testing::golden_tolerance;
constexpr double tolerance = golden_tolerance;

// The golden network: Dense(4→5, relu) → BatchNorm → Dense(5→3, softmax), with the file's initial weights.
Model<double> golden_model(const json& golden, bnrun::nn::RunningVariance running_variance) {
  BatchNormSpec batchnorm;
  batchnorm.momentum = golden["config"]["bn_momentum"].get<double>();
  batchnorm.epsilon = golden["config"]["bn_epsilon"].get<double>();
  batchnorm.running_variance = running_variance;
  ModelSpec spec{4, {DenseSpec{5, Activation::relu}, batchnorm, DenseSpec{3, Activation::softmax}}};
  Model<double> model(spec, 0);
  const json& initial = golden["init_params"];
  const char* names[] = {"W1", "b1", "gamma", "beta", "W2", "b2"};
  auto parameters = model.parameters();
  REQUIRE(parameters.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) *parameters[k].values = flatten(initial[names[k]]);
  return model;
}

Matrix<double> golden_inputs(const json& golden) {
  Matrix<double> x(6, 4);
  const auto values = flatten(golden["x"]);
  x.values.assign(values.begin(), values.end());
  return x;
}

std::vector<std::int32_t> golden_labels(const json& golden) {
  return golden["y"].get<std::vector<std::int32_t>>();
}

double train_step(Model<double>& model, const Matrix<double>& x, const std::vector<std::int32_t>& labels,
                  bnrun::optim::Optimizer<double>& optimizer) {
  const Matrix<double>& logits = model.forward({}, x, Mode::train);
  Matrix<double> gradient(logits.rows, logits.cols);
  const double loss =
      bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols, gradient.data());
  model.backward({}, x, gradient);
  optimizer.step({}, model.parameters());
  return loss;
}

void check_three_steps(const json& golden, const bnrun::optim::OptimizerSettings& settings) {
  const char* names[] = {"W1", "b1", "gamma", "beta", "W2", "b2"};
  for (const auto running_variance : {bnrun::nn::RunningVariance::biased, bnrun::nn::RunningVariance::unbiased}) {
    Model<double> model = golden_model(golden, running_variance);
    const Matrix<double> x = golden_inputs(golden);
    const auto labels = golden_labels(golden);
    auto optimizer = bnrun::optim::make_optimizer<double>(settings);
    std::vector<double> losses;
    for (int step = 0; step < 3; ++step) losses.push_back(train_step(model, x, labels, *optimizer));
    check_close(losses, flatten(golden["step_losses"]), "step loss");
    auto parameters = model.parameters();
    for (std::size_t k = 0; k < 6; ++k)
      check_close(*parameters[k].values, flatten(golden["after_3_steps"]["params"][names[k]]), names[k]);
    const auto state = model.state();
    check_close(*state[0].values, flatten(golden["after_3_steps"]["running_mean"]), "running mean");
    const bool biased = running_variance == bnrun::nn::RunningVariance::biased;
    check_close(*state[1].values,
                flatten(golden["after_3_steps"][biased ? "running_var_biased" : "running_var_unbiased"]),
                "running variance");
    if (biased) {
      Matrix<double> probabilities = model.forward({}, x, Mode::inference);
      const double loss =
          bnrun::kernels::softmax_cross_entropy<double>(probabilities.data(), labels.data(), 6, 3, nullptr);
      CHECK(loss == Approx(golden["inference_loss"].get<double>()).epsilon(tolerance));
      model.to_probabilities({}, probabilities);
      check_close(probabilities.values, flatten(golden["inference_probabilities"]), "inference probabilities");
    }
  }
}

}  // namespace

TEST_CASE("loss, logits and every parameter gradient match PyTorch on the golden network", "[levels]") {
  const json golden = load_golden("mlp_bn_adam.json");
  Model<double> model = golden_model(golden, bnrun::nn::RunningVariance::biased);
  const Matrix<double> x = golden_inputs(golden);
  const auto labels = golden_labels(golden);
  const Matrix<double>& logits = model.forward({}, x, Mode::train);
  check_close(logits.values, flatten(golden["initial"]["logits"]), "logits");
  Matrix<double> gradient(logits.rows, logits.cols);
  const double loss =
      bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols, gradient.data());
  CHECK(loss == Approx(golden["initial"]["loss"].get<double>()).epsilon(tolerance));
  model.backward({}, x, gradient);
  const char* names[] = {"W1", "b1", "gamma", "beta", "W2", "b2"};
  auto parameters = model.parameters();
  for (std::size_t k = 0; k < 6; ++k)
    check_close(*parameters[k].gradients, flatten(golden["initial"]["grads"][names[k]]), names[k]);
}

TEST_CASE("three Adam steps (Keras form) match PyTorch: losses, weights, running statistics, inference", "[levels]") {
  const json golden = load_golden("mlp_bn_adam.json");
  const json& settings = golden["config"]["optimizer"];
  check_three_steps(golden,
                    bnrun::optim::AdamSettings{settings["lr"].get<double>(), settings["beta_1"].get<double>(),
                                               settings["beta_2"].get<double>(), settings["epsilon"].get<double>()});
}

TEST_CASE("three Nesterov SGD steps (Keras form) match PyTorch", "[levels]") {
  const json golden = load_golden("mlp_bn_sgd.json");
  const json& settings = golden["config"]["optimizer"];
  check_three_steps(golden, bnrun::optim::SgdSettings{settings["lr"].get<double>(), settings["momentum"].get<double>(),
                                                      settings["nesterov"].get<bool>()});
}
