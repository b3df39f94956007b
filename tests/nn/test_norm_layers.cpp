// LayerNorm, GroupNorm and Dropout: gradients against finite differences (double precision, a Dense layer in
// front so dx is checked), a training step against PyTorch's own nn.LayerNorm / nn.GroupNorm
// (scripts/make_golden_norms.py → tests/golden/mlp_*norm_sgd.json), bit identity across thread counts, and the
// semantics of each kind.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/random.h"
#include "experiment/arms.h"
#include "kernels/loss.h"
#include "nn/layers/dropout.h"
#include "nn/layers/groupnorm.h"
#include "nn/model.h"
#include "optim/optimizer.h"
#include "tests/nn/golden_file.h"
#include "tests/nn/gradient_check.h"

using bnrun::nn::Activation;
using bnrun::nn::DenseSpec;
using bnrun::nn::Dropout;
using bnrun::nn::DropoutSpec;
using bnrun::nn::GroupNormSpec;
using bnrun::nn::LayerNormSpec;
using bnrun::nn::LayerSpec;
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

constexpr double gradient_tolerance = 1e-6;
using bnrun::testing::golden_tolerance;

Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  bnrun::Random random(seed);
  Matrix<double> m(rows, cols);
  for (double& v : m.values) v = random.normal() * 1.5 + 0.3;
  return m;
}

std::vector<double> values_of(const Matrix<double>& m) {
  return {m.values.begin(), m.values.end()};
}

std::vector<std::int32_t> cyclic_labels(std::size_t rows, std::size_t classes) {
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) labels[i] = static_cast<std::int32_t>(i % classes);
  return labels;
}

// Mean softmax cross-entropy of the model's training-mode forward.
double training_loss(Model<double>& model, const Matrix<double>& x, const std::vector<std::int32_t>& labels,
                     Matrix<double>* logits_gradient = nullptr) {
  const Matrix<double>& logits = model.forward({}, x, Mode::train);
  if (logits_gradient) logits_gradient->reshape(logits.rows, logits.cols);
  return bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols,
                                               logits_gradient ? logits_gradient->data() : nullptr);
}

// Checks d(loss)/d(every parameter) and, through the Dense layer in front, d(loss)/d(norm input).
// `before_forward` runs before every forward (a dropout test replays the same mask there).
void check_parameter_gradients(const ModelSpec& spec, std::size_t rows, const std::function<void(Model<double>&)>&
                                                                            before_forward = [](Model<double>&) {}) {
  Model<double> model(spec, 11);
  // Move gamma and beta off their trivial initial values so every term of the backward matters.
  bnrun::Random random(5);
  for (auto& parameter : model.parameters())
    if (parameter.name.find("norm") != std::string::npos)
      for (double& v : *parameter.values) v += random.uniform(-0.5, 0.5);
  const Matrix<double> x = random_matrix(rows, spec.inputs, 3);
  const auto labels = cyclic_labels(rows, 3);

  Matrix<double> logits_gradient;
  before_forward(model);
  training_loss(model, x, labels, &logits_gradient);
  model.backward({}, x, logits_gradient);
  for (auto& parameter : model.parameters()) {
    const std::vector<double> analytic = *parameter.gradients;
    const auto comparison = bnrun::testing::compare_with_finite_differences(*parameter.values, analytic, [&] {
      before_forward(model);
      return training_loss(model, x, labels);
    });
    INFO(parameter.name << " worst relative error " << comparison.worst_relative_error << " at "
                        << comparison.worst_index);
    CHECK(comparison.worst_relative_error <= gradient_tolerance);
  }
}

Dropout<double>& dropout_layer(Model<double>& model, std::size_t index) {
  auto* layer = dynamic_cast<Dropout<double>*>(model.layers()[index].get());
  REQUIRE(layer != nullptr);
  return *layer;
}

// The golden network of scripts/make_golden_norms.py with the file's initial weights.
void check_golden_training(const std::string& file, const LayerSpec& norm) {
  const json golden = load_golden(file);
  Model<double> model({4, {DenseSpec{6, Activation::tanh}, norm, DenseSpec{3, Activation::softmax}}}, 0);
  const char* names[] = {"W1", "b1", "gamma", "beta", "W2", "b2"};
  auto parameters = model.parameters();
  REQUIRE(parameters.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) *parameters[k].values = flatten(golden["init_params"][names[k]]);
  Matrix<double> x(6, 4);
  const auto inputs = flatten(golden["x"]);
  x.values.assign(inputs.begin(), inputs.end());
  const auto labels = golden["y"].get<std::vector<std::int32_t>>();

  Matrix<double> hidden, normalized;
  model.layers()[0]->forward({}, x, hidden, Mode::train);
  model.layers()[1]->forward({}, hidden, normalized, Mode::train);
  check_close(normalized.values, flatten(golden["initial"]["normalized"]), "normalized");

  Matrix<double> gradient;
  const double loss = training_loss(model, x, labels, &gradient);
  check_close(model.forward({}, x, Mode::train).values, flatten(golden["initial"]["logits"]), "logits");
  CHECK(loss == Approx(golden["initial"]["loss"].get<double>()).epsilon(golden_tolerance));
  training_loss(model, x, labels, &gradient);
  model.backward({}, x, gradient);
  for (std::size_t k = 0; k < 6; ++k)
    check_close(*parameters[k].gradients, flatten(golden["initial"]["grads"][names[k]]), names[k]);

  const json& settings = golden["config"]["optimizer"];
  auto optimizer = bnrun::optim::make_optimizer<double>(bnrun::optim::SgdSettings{
      settings["lr"].get<double>(), settings["momentum"].get<double>(), settings["nesterov"].get<bool>()});
  std::vector<double> losses;
  for (int step = 0; step < 3; ++step) {
    losses.push_back(training_loss(model, x, labels, &gradient));
    model.backward({}, x, gradient);
    optimizer->step({}, model.parameters());
  }
  check_close(losses, flatten(golden["step_losses"]), "step loss");
  for (std::size_t k = 0; k < 6; ++k)
    check_close(*parameters[k].values, flatten(golden["after_steps"][names[k]]), names[k]);
  Matrix<double> probabilities = model.forward({}, x, Mode::inference);
  model.to_probabilities({}, probabilities);
  check_close(probabilities.values, flatten(golden["probabilities"]), "probabilities");
}

struct PassValues {
  std::vector<double> logits;
  std::vector<std::vector<double>> gradients;
  bool operator==(const PassValues&) const = default;
};

// One training forward and backward with `threads` threads, every loop forced to split.
PassValues train_pass(const ModelSpec& spec, int threads) {
  const bnrun::kernels::Compute compute{.threads = threads, .minimum_parallel_work = 1, .adapt_to_load = false};
  Model<double> model(spec, 21);
  const Matrix<double> x = random_matrix(37, spec.inputs, 4);
  const auto labels = cyclic_labels(37, 3);
  PassValues result;
  const Matrix<double>& logits = model.forward(compute, x, Mode::train);
  result.logits = values_of(logits);
  Matrix<double> gradient(logits.rows, logits.cols);
  bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols, gradient.data());
  model.backward(compute, x, gradient);
  for (auto& parameter : model.parameters()) result.gradients.push_back(*parameter.gradients);
  return result;
}

}  // namespace

TEST_CASE("layernorm gradients (dx through a Dense layer, dgamma, dbeta) match finite differences", "[norms]") {
  check_parameter_gradients({4, {DenseSpec{6, Activation::linear}, LayerNormSpec{}, DenseSpec{3, Activation::softmax}}},
                            7);
}

TEST_CASE("groupnorm gradients with three groups match finite differences", "[norms]") {
  check_parameter_gradients(
      {4, {DenseSpec{6, Activation::tanh}, GroupNormSpec{3}, DenseSpec{3, Activation::softmax}}}, 7);
}

TEST_CASE("groupnorm and layernorm without scale or center have correct gradients", "[norms]") {
  check_parameter_gradients({3,
                             {DenseSpec{8, Activation::linear}, GroupNormSpec{4, 1e-5, false, true},
                              DenseSpec{5, Activation::tanh}, LayerNormSpec{1e-3, true, false},
                              DenseSpec{3, Activation::softmax}}},
                            5);
}

TEST_CASE("dropout's backward matches finite differences of the same mask", "[norms]") {
  const ModelSpec spec{4, {DenseSpec{8, Activation::tanh}, DropoutSpec{0.4}, DenseSpec{3, Activation::softmax}}};
  check_parameter_gradients(spec, 9, [](Model<double>& model) { dropout_layer(model, 1).set_masks_drawn(0); });
}

TEST_CASE("layernorm matches torch.nn.LayerNorm through a training step and three SGD steps", "[norms][levels]") {
  check_golden_training("mlp_layernorm_sgd.json", LayerNormSpec{});
}

TEST_CASE("groupnorm matches torch.nn.GroupNorm(3, 6) through a training step and three SGD steps",
          "[norms][levels]") {
  check_golden_training("mlp_groupnorm_sgd.json", GroupNormSpec{3});
}

TEST_CASE("layernorm, groupnorm and dropout give bit-identical outputs and gradients for 1, 2 and 3 threads",
          "[norms][levels]") {
  const std::vector<ModelSpec> specs = {
      {5, {DenseSpec{130, Activation::relu}, LayerNormSpec{}, DenseSpec{3, Activation::softmax}}},
      {5, {DenseSpec{130, Activation::relu}, GroupNormSpec{5}, DenseSpec{3, Activation::softmax}}},
      {5, {DenseSpec{130, Activation::relu}, DropoutSpec{0.3}, DenseSpec{3, Activation::softmax}}},
  };
  for (const auto& spec : specs) {
    INFO(bnrun::nn::architecture_text(spec.layers));
    const PassValues one = train_pass(spec, 1);
    CHECK(train_pass(spec, 2) == one);
    CHECK(train_pass(spec, 3) == one);
  }
}

TEST_CASE("layernorm normalizes each row on its own, the same in training and inference, even for one row",
          "[norms]") {
  Model<double> model({3, {LayerNormSpec{}}}, 1);
  Matrix<double> x(2, 3);
  x.values = {1, 2, 3, 10, 10, 40};
  const std::vector<double> trained = values_of(model.forward({}, x, Mode::train));
  CHECK(values_of(model.forward({}, x, Mode::inference)) == trained);
  // Row 0: mean 2, biased variance 2/3.
  const double rstd = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5);
  CHECK(trained[0] == Approx(-rstd));
  CHECK(trained[1] == Approx(0.0).margin(1e-15));
  CHECK(trained[2] == Approx(rstd));
  Matrix<double> first_row(1, 3);
  first_row.values = {1, 2, 3};
  const auto& alone = model.forward({}, first_row, Mode::train).values;
  CHECK(std::vector<double>(alone.begin(), alone.end()) == std::vector<double>(trained.begin(), trained.begin() + 3));
}

TEST_CASE("groupnorm normalizes each group of a row with its own statistics", "[norms]") {
  Model<double> model({4, {GroupNormSpec{2}}}, 1);
  Matrix<double> x(1, 4);
  x.values = {1, 3, 100, 300};  // groups {1, 3} and {100, 300}: each becomes about {−1, 1}
  const auto& y = model.forward({}, x, Mode::train).values;
  CHECK(y[0] == Approx(-1.0 / std::sqrt(1.0 + 1e-5)));
  CHECK(y[1] == Approx(1.0 / std::sqrt(1.0 + 1e-5)));
  CHECK(y[2] == Approx(-1.0).epsilon(1e-9));
  CHECK(y[3] == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("dropout keeps about 1 − rate of the elements, scaled by 1/(1 − rate), and is the identity in inference",
          "[norms]") {
  Model<double> model({50, {DropoutSpec{0.3}}}, 7);
  Matrix<double> x(200, 50);
  for (double& v : x.values) v = 2.0;
  const auto& y = model.forward({}, x, Mode::train).values;
  std::size_t kept = 0;
  for (const double v : y) {
    CHECK((v == 0.0 || v == 2.0 / 0.7));
    kept += v != 0.0;
  }
  CHECK(static_cast<double>(kept) / static_cast<double>(y.size()) == Approx(0.7).margin(0.02));
  CHECK(model.forward({}, x, Mode::inference).values == x.values);
}

TEST_CASE("dropout draws a new mask each step, the same one for the same seed and step", "[norms]") {
  const ModelSpec spec{10, {DropoutSpec{0.5}}};
  Model<double> model(spec, 7), twin(spec, 7), other_seed(spec, 8);
  Matrix<double> x(20, 10);
  for (double& v : x.values) v = 1.0;
  const std::vector<double> first = values_of(model.forward({}, x, Mode::train));
  const std::vector<double> second = values_of(model.forward({}, x, Mode::train));
  CHECK(first != second);
  CHECK(values_of(twin.forward({}, x, Mode::train)) == first);
  CHECK(values_of(twin.forward({}, x, Mode::train)) == second);
  CHECK(values_of(other_seed.forward({}, x, Mode::train)) != first);
}

TEST_CASE("replacing batchnorm by layernorm, groupnorm or dropout leaves every Dense initial weight unchanged",
          "[norms]") {
  auto dense_weights = [](const ModelSpec& spec) {
    Model<float> model(spec, 42);
    std::vector<std::vector<float>> weights;
    for (auto& parameter : model.parameters())
      if (parameter.name.starts_with("dense")) weights.push_back(*parameter.values);
    return weights;
  };
  const auto reference = dense_weights({4, {DenseSpec{8, Activation::relu}, DenseSpec{3, Activation::softmax}}});
  for (const LayerSpec& middle : {LayerSpec{LayerNormSpec{}}, LayerSpec{GroupNormSpec{2}}, LayerSpec{DropoutSpec{}}})
    CHECK(dense_weights({4, {DenseSpec{8, Activation::relu}, middle, DenseSpec{3, Activation::softmax}}}) ==
          reference);
}

TEST_CASE("the dropout arm with keep_batchnorm puts a dropout layer right after every batchnorm layer", "[norms]") {
  const ModelSpec base{4,
                       {DenseSpec{8, Activation::linear}, bnrun::nn::BatchNormSpec{}, DenseSpec{8, Activation::relu},
                        bnrun::nn::BatchNormSpec{}, DenseSpec{3, Activation::softmax}}};
  const auto both = bnrun::experiment::arm_model(
      bnrun::experiment::parse_arm(json::parse(R"({"name": "bn_dropout", "kind": "dropout", "rate": 0.3,
                                                   "keep_batchnorm": true})"),
                                   "experiment.arms[0]"),
      base);
  REQUIRE(both.layers.size() == 7);
  for (const std::size_t i : {1, 4}) {
    CHECK(std::holds_alternative<bnrun::nn::BatchNormSpec>(both.layers[i]));
    REQUIRE(std::holds_alternative<DropoutSpec>(both.layers[i + 1]));
    CHECK(std::get<DropoutSpec>(both.layers[i + 1]).rate == 0.3);
  }
  const auto replaced =
      bnrun::experiment::arm_model(bnrun::experiment::parse_arm(json("dropout"), "experiment.arms[0]"), base);
  REQUIRE(replaced.layers.size() == 5);
  CHECK(std::holds_alternative<DropoutSpec>(replaced.layers[1]));
  CHECK(std::holds_alternative<DropoutSpec>(replaced.layers[3]));
}
