// The layer kinds (nn/layer_kinds.h): one JSON codec for config and model files, weight counts and tensor names
// that match the layers as built, for every kind.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/json_reader.h"
#include "modelio/model_file.h"
#include "nn/layer_kinds.h"
#include "nn/model.h"

using bnrun::KeyPathError;
using bnrun::nn::Activation;
using bnrun::nn::ActivationSpec;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::Defaults;
using bnrun::nn::DenseSpec;
using bnrun::nn::DropoutSpec;
using bnrun::nn::GroupNormSpec;
using bnrun::nn::LayerNormSpec;
using bnrun::nn::LayerSpec;
using bnrun::nn::ModelSpec;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// Every kind, with settings away from the defaults and with the optional tensors both present and absent.
std::vector<LayerSpec> sample_layers() {
  DenseSpec unusual_dense{4, Activation::tanh, bnrun::nn::Initializer::he_normal, false, 0.25};
  BatchNormSpec unusual_batchnorm;
  unusual_batchnorm.momentum = 0.9;
  unusual_batchnorm.epsilon = 1e-5;
  unusual_batchnorm.center = false;
  unusual_batchnorm.running_variance = bnrun::nn::RunningVariance::unbiased;
  BatchNormSpec no_scale;
  no_scale.scale = false;
  // The modes: cumulative average with Ghost BN, batch statistics in inference, and Batch Renormalization.
  BatchNormSpec ghost_cumulative;
  ghost_cumulative.momentum.reset();
  ghost_cumulative.virtual_batch_size = 4;
  BatchNormSpec batch_statistics;
  batch_statistics.running_stats = false;
  BatchNormSpec renorm;
  renorm.renorm = bnrun::nn::RenormSpec{0.95, {1.0, 2.0, 10, 20}, {0.5, 0.5, 0, 0}};
  DenseSpec output;
  output.units = 3;
  output.activation = Activation::softmax;
  GroupNormSpec unusual_groupnorm{2, 1e-4, false, true};
  LayerNormSpec unusual_layernorm{1e-3, true, false};
  return {unusual_dense,   unusual_groupnorm, unusual_batchnorm, ActivationSpec{Activation::sigmoid},
          DenseSpec{5},    LayerNormSpec{},   DropoutSpec{0.25}, no_scale,
          BatchNormSpec{}, unusual_layernorm, GroupNormSpec{5},  ActivationSpec{Activation::relu},
          DropoutSpec{},   ghost_cumulative,  batch_statistics,  renorm,
          output};
}

LayerSpec read(const json& object, Defaults defaults) {
  return bnrun::nn::read_layer(object, "layers[0]", defaults);
}

std::string read_error(const json& object, Defaults defaults) {
  try {
    read(object, defaults);
  } catch (const KeyPathError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the samples cover every layer kind", "[layer_kinds]") {
  std::set<std::size_t> kinds;
  for (const auto& layer : sample_layers()) kinds.insert(layer.index());
  CHECK(kinds.size() == std::variant_size_v<LayerSpec>);
}

TEST_CASE("every layer kind reads back what it writes, with defaults allowed and refused", "[layer_kinds]") {
  for (const auto& layer : sample_layers()) {
    const ordered_json written = bnrun::nn::layer_to_json(layer);
    INFO(written.dump());
    CHECK(written.begin().key() == "type");
    CHECK(written["type"].get<std::string>() == bnrun::nn::layer_type(layer));
    for (const Defaults defaults : {Defaults::allowed, Defaults::refused}) {
      const LayerSpec read_back = read(json(written), defaults);
      CHECK(read_back.index() == layer.index());
      CHECK(bnrun::nn::layer_to_json(read_back) == written);
    }
  }
}

TEST_CASE("config and model files read a fully written layer to the same spec", "[layer_kinds]") {
  for (const auto& layer : sample_layers()) {
    const json written(bnrun::nn::layer_to_json(layer));
    CHECK(bnrun::nn::layer_to_json(read(written, Defaults::allowed)) ==
          bnrun::nn::layer_to_json(read(written, Defaults::refused)));
  }
}

TEST_CASE("a config may leave a layer's keys out, a model file may not", "[layer_kinds]") {
  const json dense = {{"type", "dense"}, {"units", 3}};
  CHECK(bnrun::nn::layer_to_json(read(dense, Defaults::allowed)) == bnrun::nn::layer_to_json(DenseSpec{3}));
  CHECK_THAT(read_error(dense, Defaults::refused), Equals("layers[0].activation: is required but missing"));
  const json batchnorm = {{"type", "batchnorm"}};
  CHECK(bnrun::nn::layer_to_json(read(batchnorm, Defaults::allowed)) == bnrun::nn::layer_to_json(BatchNormSpec{}));
  CHECK_THAT(read_error(batchnorm, Defaults::refused), Equals("layers[0].momentum: is required but missing"));
  // An activation layer has no default activation in either file.
  for (const Defaults defaults : {Defaults::allowed, Defaults::refused})
    CHECK_THAT(read_error({{"type", "activation"}}, defaults), Equals("layers[0].activation: is required but missing"));
}

TEST_CASE("an unknown layer type or key is refused in both files", "[layer_kinds]") {
  CHECK_THAT(read_error({{"type", "maxout"}}, Defaults::allowed),
             Equals("layers[0].type: expected \"dense\", \"batchnorm\", \"activation\", \"layernorm\", \"groupnorm\" "
                    "or \"dropout\", got \"maxout\""));
  CHECK_THAT(read_error({{"type", "maxout"}}, Defaults::refused),
             Equals("layers[0].type: expected one of \"dense\", \"batchnorm\", \"activation\", \"layernorm\", "
                    "\"groupnorm\", \"dropout\", got \"maxout\""));
  for (const Defaults defaults : {Defaults::allowed, Defaults::refused}) {
    json written(bnrun::nn::layer_to_json(BatchNormSpec{}));
    written["moment"] = 0.5;
    CHECK_THAT(read_error(written, defaults), Contains("layers[0].moment"));
  }
}

TEST_CASE("weight counts and tensor shapes are those of the layers as built", "[layer_kinds]") {
  const ModelSpec spec{6, sample_layers()};
  bnrun::nn::Model<float> model(spec, 3);
  const auto summary = model.summary();
  std::size_t width = spec.inputs;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    INFO("layer " << summary[i].name);
    const auto count = bnrun::nn::weight_count(spec.layers[i], width);
    CHECK(count.trainable == summary[i].trainable);
    CHECK(count.non_trainable == summary[i].non_trainable);
    width = bnrun::nn::output_width(spec.layers[i], width);
    CHECK(width == summary[i].output_width);
    CHECK(summary[i].kind == bnrun::nn::layer_type(spec.layers[i]));
  }
  const auto& dense = *model.layers().front();
  REQUIRE(model.tensors().front().info.shape == std::vector<std::size_t>{dense.input_width(), dense.output_width()});
}

TEST_CASE("a layer names its tensors as model files do", "[layer_kinds]") {
  const ModelSpec spec{6, sample_layers()};
  bnrun::nn::Model<float> model(spec, 3);
  std::set<std::string> layer_names;
  for (const auto& parameter : model.parameters()) layer_names.insert(parameter.name);
  for (const auto& tensor : model.state()) layer_names.insert(tensor.name);
  CHECK(layer_names.count("batchnorm_1/running_mean") == 1);
  CHECK(layer_names.count("batchnorm_1/running_variance") == 1);

  const auto path =
      (std::filesystem::temp_directory_path() / ("bnrun_layer_kinds_" + std::to_string(::getpid()) + ".json")).string();
  bnrun::modelio::ModelMetadata metadata;
  metadata.feature_names = {"a", "b", "c", "d", "e", "f"};
  metadata.class_names = {"x", "y", "z"};
  bnrun::modelio::save_model(path, spec, model, metadata);
  const json saved = json::parse(std::ifstream(path));
  std::remove(path.c_str());
  std::set<std::string> file_names;
  for (const auto& [layer, tensors] : saved["weights"].items())
    for (const auto& [key, values] : tensors.items()) file_names.insert(layer + "/" + key);
  CHECK(file_names == layer_names);
}
