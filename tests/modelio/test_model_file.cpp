// Model files, predict and eval: a saved model computes exactly what the original did, every malformed file is a
// one-line error naming the file and key, and the run's test rows evaluated from a CSV give the run's numbers.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "config/load.h"
#include "core/error.h"
#include "core/random.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "kernels/loss.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "nn/layers/batchnorm.h"
#include "nn/layers/dense.h"
#include "nn/layers/groupnorm.h"
#include "optim/optimizer.h"
#include "train/trainer.h"

using bnrun::UserError;
using bnrun::train::Loss;
using bnrun::experiment::ArmSpec;
using bnrun::modelio::ModelFile;
using bnrun::modelio::ModelMetadata;
using bnrun::nn::Activation;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::DenseSpec;
using bnrun::nn::Matrix;
using bnrun::nn::Mode;
using bnrun::nn::Model;
using bnrun::nn::ModelSpec;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

const std::string iris_config = std::string(BNRUN_SOURCE_DIR) + "/configs/iris_bn.json";

// A file in the temporary folder, removed at the end of the test.
struct TemporaryFile {
  std::string path;
  explicit TemporaryFile(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("bnrun_modelio_" + std::to_string(::getpid()) + "_" + name))
                 .string()) {}
  TemporaryFile(const std::string& name, const std::string& content) : TemporaryFile(name) { write(content); }
  ~TemporaryFile() { std::remove(path.c_str()); }
  void write(const std::string& content) const { std::ofstream(path, std::ios::binary) << content; }
  std::string read() const {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
  }
};

// 3 inputs → Dense 5 relu → BN → Dense 4 tanh → BN → Dense 3 softmax.
ModelSpec batchnorm_spec() {
  BatchNormSpec pytorch_like;
  pytorch_like.momentum = 0.9;
  pytorch_like.epsilon = 1e-5;
  pytorch_like.running_variance = bnrun::nn::RunningVariance::unbiased;
  return {3,
          {DenseSpec{5, Activation::relu}, BatchNormSpec{}, DenseSpec{4, Activation::tanh}, pytorch_like,
           DenseSpec{3, Activation::softmax}}};
}

ModelMetadata three_class_metadata() {
  ModelMetadata metadata;
  metadata.arm = "bn";
  metadata.seed = 7;
  metadata.feature_names = {"a", "b", "c"};
  metadata.target = "label";
  metadata.class_names = {"x", "y", "z"};
  metadata.scaler = bnrun::data::Standardizer{{0.5, -1.25, 3.0}, {2.0, 0.1, 1.0}};
  return metadata;
}

Matrix<float> random_input(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix<float> input(rows, cols);
  bnrun::Random random(seed);
  for (auto& value : input.values) value = static_cast<float>(random.normal() * 2.0);
  return input;
}

// Moves every BatchNorm layer's running statistics away from their defaults (0 and 1).
void run_training_forward_passes(Model<float>& model, std::size_t inputs) {
  for (std::uint64_t pass = 0; pass < 3; ++pass) model.forward({}, random_input(16, inputs, 100 + pass), Mode::train);
}

std::vector<float> logits_of(Model<float>& model, const Matrix<float>& input) {
  const Matrix<float>& logits = model.forward({}, input, Mode::inference);
  return {logits.values.begin(), logits.values.end()};
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& values) {
  std::vector<std::uint32_t> bits;
  for (const float value : values) bits.push_back(std::bit_cast<std::uint32_t>(value));
  return bits;
}

bnrun::nn::Dense<float>& dense_layer(Model<float>& model, std::size_t index) {
  return dynamic_cast<bnrun::nn::Dense<float>&>(*model.layers()[index]);
}

bnrun::nn::BatchNorm<float>& batchnorm_layer(Model<float>& model, std::size_t index) {
  return dynamic_cast<bnrun::nn::BatchNorm<float>&>(*model.layers()[index]);
}

// Saves a trained-looking batchnorm model to `file` and returns the original.
std::unique_ptr<Model<float>> save_batchnorm_model(const TemporaryFile& file) {
  auto model = std::make_unique<Model<float>>(batchnorm_spec(), 7);
  run_training_forward_passes(*model, 3);
  bnrun::modelio::save_model(file.path, batchnorm_spec(), *model, three_class_metadata());
  return model;
}

// Saves a valid model, edits its JSON, and returns the error message reading the edited file gives.
std::string error_after_editing(const std::function<void(json&)>& edit) {
  const TemporaryFile file("edited.json");
  save_batchnorm_model(file);
  json document = json::parse(file.read());
  edit(document);
  file.write(document.dump());
  try {
    bnrun::modelio::read_model_file(file.path);
  } catch (const UserError& error) {
    return error.what();
  }
  FAIL("the edited file was accepted");
  return "";
}

}  // namespace

TEST_CASE("a saved batchnorm model reads back and computes bit-identical logits", "[modelio]") {
  const TemporaryFile file("bn.json");
  const auto original = save_batchnorm_model(file);
  // The running statistics are not the defaults, so reading them back is tested.
  REQUIRE(batchnorm_layer(*original, 1).running_mean() != std::vector<float>(5, 0.0f));
  REQUIRE(batchnorm_layer(*original, 3).running_variance() != std::vector<float>(4, 1.0f));

  const ModelFile read = bnrun::modelio::read_model_file(file.path);
  const auto rebuilt = bnrun::modelio::build_model(read);
  const Matrix<float> input = random_input(40, 3, 1);
  CHECK(bits_of(logits_of(*rebuilt, input)) == bits_of(logits_of(*original, input)));
  CHECK(batchnorm_layer(*rebuilt, 3).running_mean() == batchnorm_layer(*original, 3).running_mean());
  CHECK(read.bnrun_version == BNRUN_VERSION);
  CHECK(read.path == file.path);
}

TEST_CASE("a saved model without batchnorm reads back and computes bit-identical logits", "[modelio]") {
  const ModelSpec spec = bnrun::nn::without_batchnorm(batchnorm_spec());
  Model<float> original(spec, 11);
  ModelMetadata metadata = three_class_metadata();
  metadata.arm = "no_bn";
  metadata.scaler.reset();
  const TemporaryFile file("no_bn.json");
  bnrun::modelio::save_model(file.path, spec, original, metadata);

  const ModelFile read = bnrun::modelio::read_model_file(file.path);
  CHECK(read.tensors.count("batchnorm_1") == 0);
  CHECK(read.metadata.arm == "no_bn");
  CHECK_FALSE(read.metadata.scaler.has_value());
  const Matrix<float> input = random_input(25, 3, 2);
  CHECK(bits_of(logits_of(*bnrun::modelio::build_model(read), input)) == bits_of(logits_of(original, input)));
}

TEST_CASE("the architecture, metadata and scaler read back as saved, every option included", "[modelio]") {
  BatchNormSpec unusual;
  unusual.momentum = 0.75;
  unusual.epsilon = 2.5e-4;
  unusual.center = false;
  unusual.running_variance = bnrun::nn::RunningVariance::unbiased;
  const ModelSpec spec{2,
                       {DenseSpec{3, Activation::linear, bnrun::nn::Initializer::he_normal, false}, unusual,
                        bnrun::nn::ActivationSpec{Activation::tanh}, DenseSpec{1, Activation::sigmoid}}};
  Model<float> model(spec, 3);
  ModelMetadata metadata;
  metadata.arm = "bn";
  metadata.seed = 123456789012345ULL;
  metadata.loss = Loss::binary_crossentropy;
  metadata.feature_names = {"cgpa", "iq"};
  metadata.target = "placed";
  metadata.class_names = {"no", "yes"};
  metadata.scaler = bnrun::data::Standardizer{{0.1, 1e-300}, {0.3, 7.0}};
  const TemporaryFile file("binary.json");
  bnrun::modelio::save_model(file.path, spec, model, metadata);

  const ModelFile read = bnrun::modelio::read_model_file(file.path);
  CHECK(read.metadata.seed == 123456789012345ULL);
  CHECK(read.metadata.loss == Loss::binary_crossentropy);
  CHECK(read.metadata.feature_names == metadata.feature_names);
  CHECK(read.metadata.target == "placed");
  CHECK(read.metadata.class_names == metadata.class_names);
  CHECK(read.metadata.scaler->mean == metadata.scaler->mean);
  CHECK(read.metadata.scaler->scale == metadata.scaler->scale);
  REQUIRE(read.spec.layers.size() == 4);
  const auto& dense = std::get<DenseSpec>(read.spec.layers[0]);
  CHECK((dense.units == 3 && dense.initializer == bnrun::nn::Initializer::he_normal && !dense.use_bias));
  const auto& batchnorm = std::get<BatchNormSpec>(read.spec.layers[1]);
  CHECK((batchnorm.momentum == 0.75 && batchnorm.epsilon == 2.5e-4 && !batchnorm.center && batchnorm.scale));
  CHECK(batchnorm.running_variance == bnrun::nn::RunningVariance::unbiased);
  CHECK(std::get<bnrun::nn::ActivationSpec>(read.spec.layers[2]).activation == Activation::tanh);
  CHECK(std::get<DenseSpec>(read.spec.layers[3]).activation == Activation::sigmoid);
  // Tensors the layers do not have are not written: no bias on dense_1, no beta without center.
  CHECK(read.tensors.at("dense_1").count("bias") == 0);
  CHECK(read.tensors.at("batchnorm_1").count("beta") == 0);
  CHECK(read.tensors.at("dense_1").at("kernel").shape == std::vector<std::size_t>{2, 3});
}

TEST_CASE("awkward floats survive a model file bit for bit", "[modelio]") {
  const std::vector<float> awkward = {
      1e-45f,          0.1f,        -0.0f,        3.4e38f,    std::numeric_limits<float>::max(), -1e-45f,
      1.17549435e-38f, 1.0f / 3.0f, -123456.789f, 16777217.0f};
  const ModelSpec spec{2, {DenseSpec{5, Activation::softmax}}};
  Model<float> model(spec, 1);
  std::copy(awkward.begin(), awkward.end(), dense_layer(model, 0).kernel().begin());
  ModelMetadata metadata = three_class_metadata();
  metadata.feature_names = {"a", "b"};
  metadata.class_names = {"1", "2", "3", "4", "5"};
  metadata.scaler.reset();
  const TemporaryFile file("awkward.json");
  bnrun::modelio::save_model(file.path, spec, model, metadata);

  const ModelFile read = bnrun::modelio::read_model_file(file.path);
  const auto& kernel = read.tensors.at("dense_1").at("kernel");
  CHECK(kernel.shape == std::vector<std::size_t>{2, 5});
  CHECK(bits_of(kernel.values) == bits_of(awkward));
  CHECK(std::signbit(kernel.values[2]));
}

TEST_CASE("a model with a non-finite weight is not saved", "[modelio]") {
  const ModelSpec spec{2, {DenseSpec{2, Activation::softmax}}};
  Model<float> model(spec, 1);
  dense_layer(model, 0).bias()[1] = std::numeric_limits<float>::quiet_NaN();
  const TemporaryFile file("diverged.json");
  ModelMetadata metadata = three_class_metadata();
  metadata.feature_names = {"a", "b"};
  metadata.class_names = {"x", "y"};
  CHECK_THROWS_WITH(bnrun::modelio::save_model(file.path, spec, model, metadata),
                    StartsWith(file.path) && Contains("dense_1/bias") && Contains("nan"));
  CHECK_FALSE(std::filesystem::exists(file.path));
}

TEST_CASE("a bn model file initializes a no_bn model: Dense weights copied, BatchNorm tensors unused", "[modelio]") {
  const TemporaryFile file("init_from.json");
  const auto saved = save_batchnorm_model(file);
  const ModelFile read = bnrun::modelio::read_model_file(file.path);

  Model<float> no_bn(bnrun::nn::without_batchnorm(batchnorm_spec()), 99);
  bnrun::modelio::initialize_from(read, no_bn);
  CHECK(dense_layer(no_bn, 0).kernel() == dense_layer(*saved, 0).kernel());
  CHECK(dense_layer(no_bn, 1).bias() == dense_layer(*saved, 2).bias());
  CHECK(dense_layer(no_bn, 2).kernel() == dense_layer(*saved, 4).kernel());

  Model<float> bn(batchnorm_spec(), 99);
  bnrun::modelio::initialize_from(read, bn);
  CHECK(batchnorm_layer(bn, 1).running_variance() == batchnorm_layer(*saved, 1).running_variance());
  CHECK(bits_of(logits_of(bn, random_input(8, 3, 5))) == bits_of(logits_of(*saved, random_input(8, 3, 5))));
}

TEST_CASE("a no_bn model file initializes a bn model whose BatchNorm layers keep their defaults", "[modelio]") {
  const ModelSpec no_bn_spec = bnrun::nn::without_batchnorm(batchnorm_spec());
  Model<float> no_bn(no_bn_spec, 5);
  ModelMetadata metadata = three_class_metadata();
  metadata.arm = "no_bn";
  const TemporaryFile file("init_bn_from_no_bn.json");
  bnrun::modelio::save_model(file.path, no_bn_spec, no_bn, metadata);

  Model<float> bn(batchnorm_spec(), 6);
  bnrun::modelio::initialize_from(bnrun::modelio::read_model_file(file.path), bn);
  CHECK(dense_layer(bn, 2).kernel() == dense_layer(no_bn, 1).kernel());
  CHECK(batchnorm_layer(bn, 1).gamma() == std::vector<float>(5, 1.0f));
  CHECK(batchnorm_layer(bn, 1).running_variance() == std::vector<float>(5, 1.0f));
}

TEST_CASE("initializing from a misshapen or missing Dense tensor names the layer, tensor and shapes", "[modelio]") {
  const TemporaryFile file("init_mismatch.json");
  save_batchnorm_model(file);
  const ModelFile read = bnrun::modelio::read_model_file(file.path);

  Model<float> wider(
      ModelSpec{3, {DenseSpec{5, Activation::relu}, DenseSpec{6, Activation::relu}, DenseSpec{3, Activation::softmax}}},
      1);
  CHECK_THROWS_WITH(bnrun::modelio::initialize_from(read, wider),
                    StartsWith(file.path + ": weights.dense_2.kernel: ") && Contains("needs shape [5, 6]") &&
                        Contains("the file has [5, 4]"));

  Model<float> deeper(ModelSpec{3,
                                {DenseSpec{5, Activation::relu}, DenseSpec{4, Activation::relu},
                                 DenseSpec{3, Activation::relu}, DenseSpec{3, Activation::softmax}}},
                      1);
  CHECK_THROWS_WITH(bnrun::modelio::initialize_from(read, deeper),
                    StartsWith(file.path + ": weights.dense_4.kernel: missing") && Contains("[3, 3]"));
}

TEST_CASE("malformed model files are one-line errors naming the file and the key", "[modelio]") {
  using Edit = std::function<void(json&)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](json& d) { d["format"] = "keras"; }, "format: expected \"bnrun-model\""},
      {[](json& d) { d.erase("format"); }, "format: missing: this is not a bnrun model file"},
      {[](json& d) { d["format_version"] = 2; }, "format_version: 2 is newer than this bnrun reads (1)"},
      {[](json& d) { d.erase("classes"); }, "classes: is required but missing"},
      {[](json& d) { d["features"].push_back("d"); }, "features: 4 names for 3 inputs"},
      {[](json& d) { d["classes"].erase(0); }, "classes: 2 classes for an output layer of 3 units"},
      {[](json& d) { d["loss"] = "binary_crossentropy"; }, "loss: binary_crossentropy needs an output layer"},
      {[](json& d) { d["weights"]["dense_1"]["bias"][2] = nullptr; },
       "weights.dense_1.bias[2]: expected a finite number, got null"},
      {[](json& d) { d["weights"]["dense_1"]["kernel"][1][0] = 1e39; },
       "weights.dense_1.kernel[1][0]: 1e+39 is beyond the float range"},
      {[](json& d) { d["weights"]["dense_1"]["kernel"][2].erase(0); },
       "weights.dense_1.kernel[2]: has 4 numbers but row 0 has 5"},
      {[](json& d) { d["weights"]["dense_2"]["bias"].erase(0); },
       "weights.dense_2.bias: expected shape [4], found [3]"},
      {[](json& d) { d["weights"]["batchnorm_2"].erase("running_mean"); },
       "weights.batchnorm_2.running_mean: missing (expected shape [4])"},
      {[](json& d) { d["weights"]["dense_7"] = d["weights"]["dense_1"]; },
       "weights.dense_7: the architecture has no layer with weights of that name"},
      {[](json& d) { d["weights"]["dense_1"]["scale"] = {1.0}; },
       "weights.dense_1.scale: the architecture's dense_1 has no such tensor"},
      {[](json& d) { d["layers"][1]["momentum"] = 1.5; }, "layers[1].momentum: expected a number in [0, 1]"},
      {[](json& d) { d["layers"][0]["activation"] = "gelu"; }, "layers[0].activation: expected one of"},
      {[](json& d) { d["layers"][0].erase("use_bias"); }, "layers[0].use_bias: is required but missing"},
      {[](json& d) { d["scaler"]["scale"][1] = 0; }, "scaler.scale[1]: expected > 0"},
      {[](json& d) { d["scaler"]["mean"].erase(0); }, "scaler.mean: expected 3 numbers (one per feature), got 2"},
      {[](json& d) { d["seed"] = -1; }, "seed: expected an integer >= 0"},
      {[](json& d) { d["optimizer"] = "adam"; }, "optimizer: unknown key"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].second);
    const std::string message = error_after_editing(cases[i].first);
    CHECK_THAT(message, StartsWith(std::filesystem::temp_directory_path().string()) &&
                            Contains("edited.json: " + cases[i].second));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("a model file whose layers need more weights than it stores is refused before the model is built",
          "[modelio]") {
  // Built first, these layers would take 4 TB; the file stores the 95 weights of batchnorm_spec().
  const std::string message = error_after_editing([](json& d) {
    d["layers"][0]["units"] = 1000000;
    d["layers"][2]["units"] = 1000000;
  });
  CHECK_THAT(message, Contains("edited.json: layers[0]: a dense layer of 1000000 units on 3 inputs needs 3000000 "
                               "kernel weights, but the file stores only 95 weights"));
}

TEST_CASE("a model file that is not JSON, or not there, is an error naming it", "[modelio]") {
  const TemporaryFile broken("broken.json", "{\n  \"format\": \"bnrun-model\",\n  \"seed\": ,\n}");
  CHECK_THROWS_WITH(bnrun::modelio::read_model_file(broken.path),
                    StartsWith(broken.path + ":3:") && Contains("invalid JSON"));
  const TemporaryFile missing("missing.json");
  CHECK_THROWS_WITH(bnrun::modelio::read_model_file(missing.path),
                    StartsWith(missing.path + ": cannot open model file"));
}

TEST_CASE("the run's test rows written as CSV evaluate to the run's test loss, accuracy and metrics exactly",
          "[modelio]") {
  // bn_batch_stats normalizes each evaluation batch with its own statistics: 30 test rows in batches of 7 (the
  // last of 2 rows), which the model file must carry for eval and predict to batch them the same way.
  const std::string arm = GENERATE(as<std::string>{}, "bn", "bn_batch_stats");
  INFO("arm " << arm);
  auto config = bnrun::config::load_config(iris_config, {});
  config.training.evaluation_batch_size = 7;
  const auto data = bnrun::data::prepare_data(config.dataset, config.training.seed, {true});
  const ModelSpec spec = bnrun::config::model_spec(config, data.feature_names.size(), data.class_names.size(),
                                                    bnrun::experiment::builtin_arm(arm));
  CHECK(spec.evaluation_batch_size == (arm == "bn" ? 0 : 7));
  const Loss loss = bnrun::config::effective_loss(config);
  Model<float> model(spec, config.training.seed);
  // A few full-batch Adam steps, so the weights and running statistics are a trained model's, not defaults.
  auto optimizer = bnrun::optim::make_optimizer<float>(bnrun::optim::AdamSettings{0.01});
  Matrix<float> logits_gradient(data.train.rows(), data.class_names.size());
  for (int step = 0; step < 20; ++step) {
    const Matrix<float>& logits = model.forward({}, data.train.features, Mode::train);
    bnrun::kernels::softmax_cross_entropy(logits.data(), data.train.labels.data(), logits.rows, logits.cols,
                                          logits_gradient.data());
    model.backward({}, data.train.features, logits_gradient);
    optimizer->step({}, model.parameters());
  }
  const bnrun::train::Evaluation expected = bnrun::train::evaluate({}, model, data.test, loss);
  REQUIRE(expected.accuracy > 0.5);

  ModelMetadata metadata{arm, config.training.seed, loss, data.feature_names, config.dataset.target,
                         data.class_names, data.standardizer};
  const TemporaryFile model_file("iris_model.json");
  bnrun::modelio::save_model(model_file.path, spec, model, metadata);
  const TemporaryFile test_csv("iris_test.csv",
                               bnrun::modelio::split_csv(data.feature_names, config.dataset.target, data.class_names,
                                                         data.unscaled_test_features, data.test.labels));
  const ModelFile read = bnrun::modelio::read_model_file(model_file.path);
  CHECK(read.spec.evaluation_batch_size == spec.evaluation_batch_size);
  const auto rebuilt = bnrun::modelio::build_model(read);
  const auto scored = bnrun::modelio::evaluate_csv({}, *rebuilt, read, test_csv.path);
  const auto& evaluated = scored.evaluation;
  REQUIRE(scored.classification);
  const auto& metrics = *scored.classification;
  CHECK(evaluated.loss == expected.loss);
  CHECK(evaluated.accuracy == expected.accuracy);
  bnrun::train::Scoring scoring;
  scoring.loss = loss;
  scoring.with_metrics = true;
  scoring.class_names = data.class_names;
  const auto expected_metrics = *bnrun::train::evaluate_split({}, model, data.test, scoring).classification;
  CHECK(metrics.classes == data.class_names);
  CHECK(metrics.confusion == expected_metrics.confusion);
  CHECK(metrics.macro_f1 == expected_metrics.macro_f1);
  CHECK(metrics.balanced_accuracy == expected_metrics.balanced_accuracy);
  CHECK(metrics.roc_auc == expected_metrics.roc_auc);
  CHECK(metrics.log_loss == expected_metrics.log_loss);
  // The confusion matrix's diagonal is the accuracy's numerator.
  std::size_t diagonal = 0;
  for (std::size_t k = 0; k < metrics.confusion.size(); ++k) diagonal += metrics.confusion[k][k];
  CHECK(static_cast<double>(diagonal) / static_cast<double>(data.test.rows()) == expected.accuracy);

  // Predictions decide each row as the evaluation does, so their accuracy is the same number.
  const auto predictions = bnrun::modelio::predict_csv({}, *rebuilt, read, test_csv.path);
  REQUIRE(predictions.predicted.size() == data.test.rows());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data.test.rows(); ++i) correct += predictions.predicted[i] == data.test.labels[i];
  CHECK(static_cast<double>(correct) / static_cast<double>(data.test.rows()) == expected.accuracy);
  for (std::size_t i = 0; i < data.test.rows(); ++i) {
    const float* p = predictions.probabilities.row(i);
    CHECK(p[0] + p[1] + p[2] == Approx(1.0f));
  }
}

TEST_CASE("split_csv writes features that read_csv reads back bit for bit and quotes names when needed", "[modelio]") {
  Matrix<float> features(3, 2);
  features.values = {0.1f, std::numeric_limits<float>::max(), 1e-45f, -0.0f, 1.0f / 3.0f, -3.4e38f};
  const std::string text =
      bnrun::modelio::split_csv({"width, cm", "say \"hi\""}, "kind", {"plain", "a,b"}, features, {1, 0, 1});
  CHECK_THAT(text, StartsWith("\"width, cm\",\"say \"\"hi\"\"\",kind\n"));
  CHECK_THAT(text, Contains(",\"a,b\"\n"));
  const auto table = bnrun::data::parse_csv(text, "split.csv", {',', "kind", {}});
  CHECK(table.feature_names == std::vector<std::string>{"width, cm", "say \"hi\""});
  CHECK(table.target_values == std::vector<std::string>{"a,b", "plain"});
  CHECK(table.target_codes == std::vector<std::uint32_t>{0, 1, 0});
  CHECK(bits_of({table.features.begin(), table.features.end()}) ==
        bits_of({features.values.begin(), features.values.end()}));
}

TEST_CASE("predictions CSV: a header of class probabilities, then one line per row numbered from 1", "[modelio]") {
  bnrun::modelio::Predictions predictions;
  predictions.class_names = {"setosa", "Iris \"v\", 2"};
  predictions.predicted = {1, 0, 1};
  predictions.probabilities.reshape(3, 2);
  predictions.probabilities.values = {0.25f, 0.75f, 1.0f, 0.0f, 0.1f, 0.9f};
  CHECK(bnrun::modelio::predictions_csv(predictions) ==
        "row,predicted,p_setosa,\"p_Iris \"\"v\"\", 2\"\n"
        "1,\"Iris \"\"v\"\", 2\",0.25,0.75\n"
        "2,setosa,1,0\n"
        "3,\"Iris \"\"v\"\", 2\",0.1,0.9\n");
}

TEST_CASE("a binary model's predictions give both class probabilities, by the sign of the logit", "[modelio]") {
  const ModelSpec spec{1, {DenseSpec{1, Activation::sigmoid}}};
  Model<float> model(spec, 1);
  dense_layer(model, 0).kernel()[0] = 2.0f;
  dense_layer(model, 0).bias()[0] = -1.0f;
  ModelMetadata metadata;
  metadata.loss = Loss::binary_crossentropy;
  metadata.feature_names = {"x"};
  metadata.target = "y";
  metadata.class_names = {"no", "yes"};
  const TemporaryFile model_file("binary_predict.json");
  bnrun::modelio::save_model(model_file.path, spec, model, metadata);
  const TemporaryFile csv("binary_predict.csv", "y,x,comment\nno,0,first\nyes,1.5,second\n");

  const ModelFile read = bnrun::modelio::read_model_file(model_file.path);
  const auto predictions = bnrun::modelio::predict_csv({}, *bnrun::modelio::build_model(read), read, csv.path);
  CHECK(predictions.predicted == std::vector<std::int32_t>{0, 1});
  const float p0 = 1.0f / (1.0f + std::exp(1.0f));  // sigmoid(−1)
  CHECK(predictions.probabilities(0, 1) == Approx(p0));
  CHECK(predictions.probabilities(0, 0) == Approx(1.0f - p0));
  CHECK(predictions.probabilities(1, 1) == Approx(1.0f / (1.0f + std::exp(-2.0f))));
  CHECK(bnrun::modelio::evaluate_csv({}, *bnrun::modelio::build_model(read), read, csv.path).evaluation.accuracy ==
        1.0);
}

TEST_CASE("a missing feature column or an unknown class is an error naming the file", "[modelio]") {
  const TemporaryFile model_file("columns.json");
  save_batchnorm_model(model_file);
  const ModelFile read = bnrun::modelio::read_model_file(model_file.path);
  const auto model = bnrun::modelio::build_model(read);

  const TemporaryFile no_b("no_b.csv", "a,c,label\n1,2,x\n");
  CHECK_THROWS_WITH(bnrun::modelio::predict_csv({}, *model, read, no_b.path),
                    StartsWith(no_b.path + ": ") && Contains("feature column 'b'"));
  const TemporaryFile unknown("unknown_class.csv", "c,b,a,label\n1,2,3,x\n1,2,3,w\n");
  CHECK_THROWS_WITH(bnrun::modelio::evaluate_csv({}, *model, read, unknown.path),
                    StartsWith(unknown.path + ":3: class \"w\"") && Contains("x, y, z"));
}

TEST_CASE("layernorm, groupnorm and dropout models read back and compute bit-identical logits", "[modelio][norms]") {
  const ModelSpec spec{3,
                       {DenseSpec{6, Activation::relu}, bnrun::nn::LayerNormSpec{1e-4, true, true},
                        DenseSpec{4, Activation::tanh}, bnrun::nn::GroupNormSpec{2, 1e-3, true, false},
                        bnrun::nn::DropoutSpec{0.3}, DenseSpec{3, Activation::softmax}}};
  Model<float> original(spec, 7);
  // Gamma and beta away from their defaults, so reading them back is tested.
  bnrun::Random random(3);
  for (auto& parameter : original.parameters())
    if (parameter.name.find("norm") != std::string::npos)
      for (float& value : *parameter.values) value += static_cast<float>(random.uniform(-0.5, 0.5));
  const TemporaryFile file("norms.json");
  bnrun::modelio::save_model(file.path, spec, original, three_class_metadata());

  const json saved = json::parse(file.read());
  CHECK(saved["layers"][4] == json{{"type", "dropout"}, {"rate", 0.3}});
  CHECK(saved["layers"][3]["groups"] == 2);
  CHECK(saved["weights"].contains("layernorm_1"));
  CHECK(saved["weights"]["groupnorm_1"].contains("beta"));  // center on, scale off
  CHECK_FALSE(saved["weights"]["groupnorm_1"].contains("gamma"));
  CHECK_FALSE(saved["weights"].contains("dropout_1"));

  const ModelFile read = bnrun::modelio::read_model_file(file.path);
  CHECK(bnrun::nn::architecture_text(read.spec.layers) ==
        "dense 6 relu → LN → dense 4 tanh → GN(2) → dropout 0.3 → dense 3 softmax");
  const Matrix<float> input = random_input(30, 3, 4);
  CHECK(bits_of(logits_of(*bnrun::modelio::build_model(read), input)) == bits_of(logits_of(original, input)));

  json edited = saved;
  edited["layers"][3]["groups"] = 3;
  file.write(edited.dump());
  CHECK_THROWS_WITH(bnrun::modelio::read_model_file(file.path),
                    Contains("layers[3].groups: 3 does not divide the 4 features of the layer before"));
}

TEST_CASE("a bn model file initializes a layernorm model: Dense weights copied, gamma and beta at 1 and 0",
          "[modelio][norms]") {
  const TemporaryFile file("init_ln_from_bn.json");
  const auto saved = save_batchnorm_model(file);
  ModelSpec spec = batchnorm_spec();
  spec.layers[1] = bnrun::nn::LayerNormSpec{};
  spec.layers[3] = bnrun::nn::DropoutSpec{};
  Model<float> model(spec, 99);
  bnrun::modelio::initialize_from(bnrun::modelio::read_model_file(file.path), model);
  CHECK(dense_layer(model, 2).kernel() == dense_layer(*saved, 2).kernel());
  auto& layernorm = dynamic_cast<bnrun::nn::GroupNorm<float>&>(*model.layers()[1]);
  CHECK(layernorm.kind() == "layernorm");
  CHECK(layernorm.gamma() == std::vector<float>(5, 1.0f));
  CHECK(layernorm.beta() == std::vector<float>(5, 0.0f));
}
