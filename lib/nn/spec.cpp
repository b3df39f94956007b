#include "nn/spec.h"

#include <fmt/format.h>
#include <algorithm>

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

bool uses_batch_statistics_in_inference(const std::vector<LayerSpec>& layers) {
  for (const auto& layer : layers)
    if (const auto* batchnorm = std::get_if<BatchNormSpec>(&layer); batchnorm && !batchnorm->running_stats)
      return true;
  return false;
}

std::size_t inference_batch_end(std::size_t evaluation_batch_size, std::size_t start, std::size_t rows,
                                std::size_t default_rows) {
  if (evaluation_batch_size == 0) return start + std::min(default_rows, rows - start);
  std::size_t end = start + std::min(evaluation_batch_size, rows - start);
  if (rows - end == 1) ++end;
  return end;
}

}  // namespace bnrun::nn
