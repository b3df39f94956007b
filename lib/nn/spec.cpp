#include "nn/spec.h"

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

}  // namespace bnrun::nn
