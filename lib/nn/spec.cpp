#include "nn/spec.h"

#include <fmt/format.h>

namespace bnrun::nn {

ModelSpec without_batchnorm(const ModelSpec& spec) {
  ModelSpec result{spec.inputs, {}};
  for (const auto& layer : spec.layers)
    if (!std::holds_alternative<BatchNormSpec>(layer)) result.layers.push_back(layer);
  return result;
}

bool has_batchnorm(const ModelSpec& spec) {
  for (const auto& layer : spec.layers)
    if (std::holds_alternative<BatchNormSpec>(layer)) return true;
  return false;
}

std::optional<LayerWidthProblem> find_width_problem(const ModelSpec& spec) {
  std::size_t width = spec.inputs;  // 0: not known yet
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& layer = spec.layers[i];
    if (width > 0)
      if (auto problem = input_width_problem(layer, width))
        return LayerWidthProblem{i, problem->key,
                                 fmt::format("{} of {}", problem->message, i == 0 ? "the data" : "the layer before")};
    width = output_width(layer, width);
  }
  return std::nullopt;
}

}  // namespace bnrun::nn
