// Every backward pass against central finite differences, in double precision, relative error ≤ 1e-6.
// BatchNorm is always checked with a Dense layer in front of it, so its dx is exercised (mlpack #1923).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <vector>

#include "core/random.h"
#include "kernels/loss.h"
#include "nn/layers/batchnorm.h"
#include "nn/model.h"
#include "tests/nn/gradient_check.h"

using bnrun::nn::Activation;
using bnrun::nn::ActivationSpec;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::DenseSpec;
using bnrun::nn::Matrix;
using bnrun::nn::Mode;
using bnrun::nn::Model;
using bnrun::nn::ModelSpec;

namespace {

constexpr double tolerance = 1e-6;

Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  bnrun::Random random(seed);
  Matrix<double> m(rows, cols);
  for (double& v : m.values) v = random.normal() * 1.5 + 0.3;
  return m;
}

// Mean softmax cross-entropy of the model's training-mode forward on (x, labels), weighted by class when
// class_weights is not null.
double training_loss(Model<double>& model, const Matrix<double>& x, const std::vector<std::int32_t>& labels,
                     Matrix<double>* logits_gradient = nullptr, const double* class_weights = nullptr) {
  const Matrix<double>& logits = model.forward({}, x, Mode::train);
  if (logits_gradient) logits_gradient->reshape(logits.rows, logits.cols);
  if (model.output_activation() == Activation::sigmoid)
    return bnrun::kernels::sigmoid_binary_cross_entropy(
        logits.data(), labels.data(), logits.rows, logits_gradient ? logits_gradient->data() : nullptr, class_weights);
  return bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), logits.rows, logits.cols,
                                               logits_gradient ? logits_gradient->data() : nullptr, class_weights);
}

BatchNormSpec pytorch_like_batchnorm() {
  BatchNormSpec batchnorm;
  batchnorm.momentum = 0.9;
  batchnorm.epsilon = 1e-5;
  batchnorm.running_variance = bnrun::nn::RunningVariance::unbiased;
  return batchnorm;
}

// Checks d(loss)/d(every parameter) of `spec` on a random batch; `prepare` may set the built model's state.
void check_all_parameter_gradients(const ModelSpec& spec, std::size_t rows, std::size_t classes,
                                   const std::function<void(Model<double>&)>& prepare = {},
                                   const double* class_weights = nullptr) {
  Model<double> model(spec, 11);
  if (prepare) prepare(model);
  // Move BN's gamma/beta off their trivial initial values so every term of the backward matters.
  bnrun::Random random(5);
  for (auto& parameter : model.parameters())
    if (parameter.name.find("batchnorm") != std::string::npos)
      for (double& v : *parameter.values) v += random.uniform(-0.5, 0.5);
  const Matrix<double> x = random_matrix(rows, spec.inputs, 3);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) labels[i] = static_cast<std::int32_t>(i % classes);

  Matrix<double> logits_gradient;
  training_loss(model, x, labels, &logits_gradient, class_weights);
  model.backward({}, x, logits_gradient);
  for (auto& parameter : model.parameters()) {
    const std::vector<double> analytic = *parameter.gradients;
    const auto comparison = bnrun::testing::compare_with_finite_differences(
        *parameter.values, analytic, [&] { return training_loss(model, x, labels, nullptr, class_weights); });
    INFO(parameter.name << " worst relative error " << comparison.worst_relative_error << " at "
                        << comparison.worst_index);
    CHECK(comparison.worst_relative_error <= tolerance);
  }
}

}  // namespace

TEST_CASE("dense gradients match finite differences") {
  ModelSpec spec{5, {DenseSpec{7, Activation::tanh}, DenseSpec{3, Activation::softmax}}};
  check_all_parameter_gradients(spec, 9, 3);
}

TEST_CASE("batchnorm gradients (dx through a Dense layer, dgamma, dbeta) match finite differences") {
  ModelSpec spec{4,
                 {DenseSpec{6, Activation::linear}, BatchNormSpec{}, ActivationSpec{Activation::tanh},
                  DenseSpec{3, Activation::softmax}}};
  check_all_parameter_gradients(spec, 8, 3);
}

TEST_CASE("batchnorm after the activation, as in the seed notebook, has correct gradients") {
  ModelSpec spec{
      4,
      {DenseSpec{6, Activation::sigmoid}, BatchNormSpec{}, DenseSpec{5, Activation::tanh},
       pytorch_like_batchnorm(), DenseSpec{3, Activation::softmax}}};
  check_all_parameter_gradients(spec, 7, 3);
}

TEST_CASE("Ghost BN gradients flow per virtual batch (three sub-batches, the last a remainder)") {
  BatchNormSpec ghost;
  ghost.virtual_batch_size = 4;
  ModelSpec spec{4,
                 {DenseSpec{6, Activation::linear}, ghost, ActivationSpec{Activation::tanh},
                  DenseSpec{3, Activation::softmax}}};
  check_all_parameter_gradients(spec, 10, 3);  // sub-batches of 4, 4 and 2 rows
}

TEST_CASE("Batch Renorm gradients treat r and d as constants") {
  // r and d clipped at their bounds stay constant under the finite differences, as the definition holds them in
  // backward: renorm_stddev far below every σ_B clips r at r_max, renorm_mean far below every μ_B clips d at d_max,
  // and renorm momentum 1 keeps both where they are.
  for (const bool scale : {true, false}) {
    BatchNormSpec renorm;
    renorm.scale = scale;
    renorm.renorm = bnrun::nn::RenormSpec{1.0, {1.7, 1.7, 0, 0}, {0.6, 0.6, 0, 0}};
    ModelSpec spec{4,
                   {DenseSpec{6, Activation::linear}, renorm, ActivationSpec{Activation::tanh},
                    DenseSpec{3, Activation::softmax}}};
    check_all_parameter_gradients(spec, 9, 3, [](Model<double>& model) {
      for (auto& tensor : model.state()) {
        if (tensor.name.ends_with("renorm_stddev")) std::fill(tensor.values->begin(), tensor.values->end(), 1e-3);
        if (tensor.name.ends_with("renorm_mean")) std::fill(tensor.values->begin(), tensor.values->end(), -1e3);
      }
    });
  }
}

TEST_CASE("batchnorm without scale and center has correct gradients") {
  BatchNormSpec plain;
  plain.center = false;
  plain.scale = false;
  ModelSpec spec{
      3,
      {DenseSpec{5, Activation::linear}, plain, ActivationSpec{Activation::relu}, DenseSpec{2, Activation::softmax}}};
  check_all_parameter_gradients(spec, 6, 2);
}

TEST_CASE("a hidden softmax activation layer back-propagates its Jacobian correctly") {
  ModelSpec spec{
      3, {DenseSpec{4, Activation::linear}, ActivationSpec{Activation::softmax}, DenseSpec{3, Activation::softmax}}};
  check_all_parameter_gradients(spec, 5, 3);
}

TEST_CASE("binary cross-entropy with one sigmoid unit has correct gradients") {
  ModelSpec spec{3, {DenseSpec{4, Activation::relu}, BatchNormSpec{}, DenseSpec{1, Activation::sigmoid}}};
  check_all_parameter_gradients(spec, 6, 2);
}

TEST_CASE("a linear output with mse, mae and huber losses has correct gradients through batchnorm", "[regression]") {
  // tanh, not relu: a relu kink crossed by the finite difference would blur the comparison, as in the tests above.
  const ModelSpec spec{3, {DenseSpec{4, Activation::tanh}, pytorch_like_batchnorm(), DenseSpec{1, Activation::linear}}};
  const Matrix<double> x = random_matrix(6, 3, 23);
  // Targets far from where the outputs start, so that no residual sits on mae's or huber's kink.
  const std::vector<double> targets = {2.5, -3.0, 4.0, -2.2, 3.1, -4.4};
  for (const auto kind : {bnrun::kernels::RegressionLoss::mse, bnrun::kernels::RegressionLoss::mae,
                          bnrun::kernels::RegressionLoss::huber}) {
    Model<double> model(spec, 13);
    const auto loss = [&](Matrix<double>* outputs_gradient) {
      const Matrix<double>& outputs = model.forward({}, x, Mode::train);
      if (outputs_gradient) outputs_gradient->reshape(outputs.rows, outputs.cols);
      return bnrun::kernels::regression_loss(kind, outputs.data(), targets.data(), outputs.rows,
                                             outputs_gradient ? outputs_gradient->data() : nullptr, 0.8);
    };
    Matrix<double> outputs_gradient;
    loss(&outputs_gradient);
    model.backward({}, x, outputs_gradient);
    for (auto& parameter : model.parameters()) {
      const std::vector<double> analytic = *parameter.gradients;
      const auto comparison = bnrun::testing::compare_with_finite_differences(*parameter.values, analytic,
                                                                              [&] { return loss(nullptr); });
      INFO(parameter.name << " worst relative error " << comparison.worst_relative_error);
      CHECK(comparison.worst_relative_error <= tolerance);
    }
  }
}

TEST_CASE("batchnorm input gradient matches finite differences when checked directly on the layer") {
  bnrun::nn::BatchNorm<double> layer("batchnorm_1", 3, BatchNormSpec{});
  layer.gamma() = {1.5, -0.7, 0.9};
  layer.beta() = {0.1, 0.2, -0.3};
  Matrix<double> x = random_matrix(5, 3, 17);
  const Matrix<double> weights = random_matrix(5, 3, 19);  // loss = Σ weights ⊙ y, so dy = weights
  auto loss = [&] {
    Matrix<double> y;
    layer.forward({}, x, y, Mode::train);
    double total = 0;
    for (std::size_t k = 0; k < y.size(); ++k) total += weights.values[k] * y.values[k];
    return total;
  };
  Matrix<double> y, dx;
  layer.forward({}, x, y, Mode::train);
  layer.backward({}, x, y, weights, &dx);
  const auto comparison = bnrun::testing::compare_with_finite_differences(x.values, dx.values, loss);
  CHECK(comparison.worst_relative_error <= tolerance);
}

TEST_CASE("softmax cross-entropy gradient matches finite differences and stays finite for extreme logits") {
  Matrix<double> logits = random_matrix(4, 5, 23);
  const std::vector<std::int32_t> labels = {0, 4, 2, 1};
  std::vector<double> gradient(logits.size());
  bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), 4, 5, gradient.data());
  const auto comparison = bnrun::testing::compare_with_finite_differences(logits.values, gradient, [&] {
    return bnrun::kernels::softmax_cross_entropy<double>(logits.data(), labels.data(), 4, 5, nullptr);
  });
  CHECK(comparison.worst_relative_error <= tolerance);

  const std::vector<float> extreme = {1e30f, -1e30f, 0.0f, 88.0f, -1000.0f, 1000.0f};
  const std::vector<std::int32_t> extreme_labels = {1, 0};
  std::vector<float> extreme_gradient(6);
  const double loss =
      bnrun::kernels::softmax_cross_entropy(extreme.data(), extreme_labels.data(), 2, 3, extreme_gradient.data());
  CHECK(std::isfinite(loss));
  for (float g : extreme_gradient) CHECK(std::isfinite(g));
}

TEST_CASE("class-weighted softmax cross-entropy is sum w·l / sum w and its gradient matches finite differences") {
  Matrix<double> logits = random_matrix(6, 3, 29);
  const std::vector<std::int32_t> labels = {0, 2, 1, 0, 0, 2};
  const std::vector<double> class_weights = {0.5, 2.0, 1.25};
  // The definition, row by row: each row's own loss (a batch of one), weighted by its class.
  double weighted_sum = 0.0, weight_sum = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double row_loss =
        bnrun::kernels::softmax_cross_entropy<double>(logits.row(i), &labels[i], 1, 3, nullptr);
    weighted_sum += class_weights[static_cast<std::size_t>(labels[i])] * row_loss;
    weight_sum += class_weights[static_cast<std::size_t>(labels[i])];
  }
  std::vector<double> gradient(logits.size());
  const double loss =
      bnrun::kernels::softmax_cross_entropy(logits.data(), labels.data(), 6, 3, gradient.data(), class_weights.data());
  CHECK(loss == Approx(weighted_sum / weight_sum).epsilon(1e-14));
  const auto comparison = bnrun::testing::compare_with_finite_differences(logits.values, gradient, [&] {
    return bnrun::kernels::softmax_cross_entropy<double>(logits.data(), labels.data(), 6, 3, nullptr,
                                                         class_weights.data());
  });
  CHECK(comparison.worst_relative_error <= tolerance);
  // Equal weights are no weights at all.
  const std::vector<double> equal = {3.0, 3.0, 3.0};
  CHECK(bnrun::kernels::softmax_cross_entropy<double>(logits.data(), labels.data(), 6, 3, nullptr, equal.data()) ==
        Approx(bnrun::kernels::softmax_cross_entropy<double>(logits.data(), labels.data(), 6, 3, nullptr))
            .epsilon(1e-15));
}

TEST_CASE("class-weighted binary cross-entropy is sum w·l / sum w and its gradient matches finite differences") {
  std::vector<double> logits = {0.75, -1.5, 2.5, -0.25, 0.0, 1.125};
  const std::vector<std::int32_t> labels = {1, 0, 1, 1, 0, 0};
  const std::vector<double> class_weights = {0.6, 3.0};
  double weighted_sum = 0.0, weight_sum = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double row_loss = bnrun::kernels::sigmoid_binary_cross_entropy<double>(&logits[i], &labels[i], 1, nullptr);
    weighted_sum += class_weights[static_cast<std::size_t>(labels[i])] * row_loss;
    weight_sum += class_weights[static_cast<std::size_t>(labels[i])];
  }
  std::vector<double> gradient(logits.size());
  const double loss = bnrun::kernels::sigmoid_binary_cross_entropy(logits.data(), labels.data(), 6, gradient.data(),
                                                                   class_weights.data());
  CHECK(loss == Approx(weighted_sum / weight_sum).epsilon(1e-14));
  const auto comparison = bnrun::testing::compare_with_finite_differences(logits, gradient, [&] {
    return bnrun::kernels::sigmoid_binary_cross_entropy<double>(logits.data(), labels.data(), 6, nullptr,
                                                                class_weights.data());
  });
  CHECK(comparison.worst_relative_error <= tolerance);
}

TEST_CASE("class-weighted training loss back-propagates correctly through batchnorm, softmax and sigmoid outputs") {
  const std::vector<double> three_class_weights = {0.4, 2.5, 1.0};
  check_all_parameter_gradients(
      ModelSpec{3, {DenseSpec{4, Activation::relu}, BatchNormSpec{}, DenseSpec{3, Activation::softmax}}}, 7, 3, {},
      three_class_weights.data());
  const std::vector<double> binary_weights = {0.7, 1.9};
  check_all_parameter_gradients(
      ModelSpec{3, {DenseSpec{4, Activation::relu}, BatchNormSpec{}, DenseSpec{1, Activation::sigmoid}}}, 6, 2, {},
      binary_weights.data());
}
