// The layer kinds a model may have, and every operation that depends on the kind, done once here by std::visit.
//
// Each kind lives in nn/layers/<kind>.h and .cpp: its spec struct, its layer class, and everything else about it.
// The spec struct K of a kind provides
//   static constexpr std::string_view type     its "type" in config and model files, and its layers' kind()
//   static K from_json(ObjectReader&, Defaults) reads every key but "type" (the caller checks for unknown keys);
//                                               one codec for config files (Defaults::allowed) and model files
//   void to_json(ordered_json&) const           writes every key but "type", in the order from_json reads them
//   output_width(input_width)                   the width of its output
//   tensors(input_width)                        its tensors as model files store them: the trainable ones first,
//                                               in the order and under the names its layer's parameters() and
//                                               state() give ("<layer>/<key>")
//   output_nonlinearity()                       the nonlinearity it applies last, which the loss may take over
//   summary(loss_applies_output)                the model summary's detail: "64 units, relu"
//   label()                                     its words in a one-line architecture: "dense 64 relu"
//   build<T>(LayerPlace)                        its layer, initialized
// and, only when the kind cannot take every input width,
//   input_width_problem(input_width)            why not (std::optional<WidthProblem>), or nothing
// A kind that lacks one of these does not compile; there is no run-time fallback.
//
// Adding a kind: write nn/layers/<kind>.h and .cpp, add its spec to LayerSpec below (and its header to the
// includes), and add the .cpp to bnrun_lib in CMakeLists.txt. The JSON codecs of config and model files, model
// building, model-file tensors and checks, the memory estimate and the summaries then all know it.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nn/layer.h"
#include "nn/layers/activation.h"
#include "nn/layers/batchnorm.h"
#include "nn/layers/common.h"
#include "nn/layers/dense.h"
#include "nn/layers/dropout.h"
#include "nn/layers/groupnorm.h"
#include "nn/layers/layernorm.h"

namespace bnrun::nn {

using LayerSpec =
    std::variant<DenseSpec, BatchNormSpec, ActivationSpec, LayerNormSpec, GroupNormSpec, DropoutSpec>;

// Reads one layer object at `path` ("model.layers[2]" in a config, "layers[2]" in a model file) by its "type".
// Throws KeyPathError on an unknown type, a bad or (with Defaults::refused) missing key, or a key the kind lacks.
LayerSpec read_layer(const nlohmann::json& object, const std::string& path, Defaults defaults);
// Every key written out, "type" first: what model files store and what a run's config.json records.
nlohmann::ordered_json layer_to_json(const LayerSpec& layer);

std::string_view layer_type(const LayerSpec& layer);
std::size_t output_width(const LayerSpec& layer, std::size_t input_width);
std::vector<TensorInfo> layer_tensors(const LayerSpec& layer, std::size_t input_width);

struct WeightCount {
  std::size_t trainable = 0;
  std::size_t non_trainable = 0;
};
WeightCount weight_count(const LayerSpec& layer, std::size_t input_width);

// Why `layer` cannot take `input_width` features, or nothing when it can (kinds without input_width_problem
// take any width).
std::optional<WidthProblem> input_width_problem(const LayerSpec& layer, std::size_t input_width);

std::optional<Activation> output_nonlinearity(const LayerSpec& layer);
std::string layer_summary(const LayerSpec& layer, bool loss_applies_output);
// "dense 64 relu → BN → dense 3 softmax".
std::string architecture_text(const std::vector<LayerSpec>& layers);

template <class T>
std::unique_ptr<Layer<T>> build_layer(const LayerSpec& layer, const LayerPlace& place);

}  // namespace bnrun::nn
