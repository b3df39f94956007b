#include "nn/layer_kinds.h"

#include <fmt/format.h>
#include <utility>

namespace bnrun::nn {

namespace {

template <std::size_t Index>
using Kind = std::variant_alternative_t<Index, LayerSpec>;

template <std::size_t... Index>
std::vector<std::string_view> type_names(std::index_sequence<Index...>) {
  return {Kind<Index>::type...};
}

std::vector<std::string_view> type_names() {
  return type_names(std::make_index_sequence<std::variant_size_v<LayerSpec>>());
}

template <std::size_t... Index>
std::optional<LayerSpec> read_kind(std::string_view type, ObjectReader& reader, Defaults defaults,
                                   std::index_sequence<Index...>) {
  std::optional<LayerSpec> result;
  // Reads as the first kind whose type matches; the fold's own value (whether one did) is in `result`.
  static_cast<void>(
      ((type == Kind<Index>::type && (result = Kind<Index>::from_json(reader, defaults)).has_value()) || ...));
  return result;
}

// "\"dense\", \"batchnorm\" or \"activation\"".
std::string alternatives_text(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i)
    text += fmt::format("{}\"{}\"", i == 0 ? "" : i + 1 == names.size() ? " or " : ", ", names[i]);
  return text;
}

}  // namespace

LayerSpec read_layer(const nlohmann::json& object, const std::string& path, Defaults defaults) {
  ObjectReader reader(object, path);
  const std::string type = reader.required_string("type");
  reader.describe("type", {{"type", "string"}, {"enum", type_names()}});
  auto layer = read_kind(type, reader, defaults, std::make_index_sequence<std::variant_size_v<LayerSpec>>());
  if (!layer) {
    // Config files and model files word an unknown type differently, and their messages are pinned by tests.
    if (defaults == Defaults::refused) reader.choice_or("type", "", type_names());
    throw KeyPathError(reader.path_of("type"),
                       fmt::format("expected {}, got \"{}\"", alternatives_text(type_names()), type));
  }
  reader.finish();
  return *layer;
}

nlohmann::ordered_json layer_to_json(const LayerSpec& layer) {
  return std::visit(
      [](const auto& spec) {
        nlohmann::ordered_json object = {{"type", spec.type}};
        spec.to_json(object);
        return object;
      },
      layer);
}

std::string_view layer_type(const LayerSpec& layer) {
  return std::visit([](const auto& spec) { return spec.type; }, layer);
}

std::size_t output_width(const LayerSpec& layer, std::size_t input_width) {
  return std::visit([&](const auto& spec) { return spec.output_width(input_width); }, layer);
}

std::vector<TensorInfo> layer_tensors(const LayerSpec& layer, std::size_t input_width) {
  return std::visit([&](const auto& spec) { return spec.tensors(input_width); }, layer);
}

WeightCount weight_count(const LayerSpec& layer, std::size_t input_width) {
  WeightCount count;
  for (const TensorInfo& tensor : layer_tensors(layer, input_width))
    (tensor.trainable ? count.trainable : count.non_trainable) += tensor.size();
  return count;
}

std::optional<WidthProblem> input_width_problem(const LayerSpec& layer, std::size_t input_width) {
  return std::visit(
      [&](const auto& spec) -> std::optional<WidthProblem> {
        if constexpr (requires { spec.input_width_problem(input_width); })
          return spec.input_width_problem(input_width);
        else
          return std::nullopt;
      },
      layer);
}

std::optional<Activation> output_nonlinearity(const LayerSpec& layer) {
  return std::visit([](const auto& spec) { return spec.output_nonlinearity(); }, layer);
}

std::string layer_summary(const LayerSpec& layer, bool loss_applies_output) {
  return std::visit([&](const auto& spec) { return spec.summary(loss_applies_output); }, layer);
}

std::string architecture_text(const std::vector<LayerSpec>& layers) {
  std::string text;
  for (const LayerSpec& layer : layers)
    text += (text.empty() ? "" : " → ") + std::visit([](const auto& spec) { return spec.label(); }, layer);
  return text;
}

template <class T>
std::unique_ptr<Layer<T>> build_layer(const LayerSpec& layer, const LayerPlace& place) {
  return std::visit([&](const auto& spec) { return spec.template build<T>(place); }, layer);
}

template std::unique_ptr<Layer<float>> build_layer<float>(const LayerSpec&, const LayerPlace&);
template std::unique_ptr<Layer<double>> build_layer<double>(const LayerSpec&, const LayerPlace&);

}  // namespace bnrun::nn
