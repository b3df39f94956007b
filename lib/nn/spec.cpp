#include "nn/spec.h"

#include <array>
#include <utility>

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

namespace {
constexpr std::array<std::pair<Initializer, std::string_view>, 7> initializer_table = {{
    {Initializer::glorot_uniform, "glorot_uniform"},
    {Initializer::glorot_normal, "glorot_normal"},
    {Initializer::he_uniform, "he_uniform"},
    {Initializer::he_normal, "he_normal"},
    {Initializer::lecun_uniform, "lecun_uniform"},
    {Initializer::lecun_normal, "lecun_normal"},
    {Initializer::zeros, "zeros"},
}};
}  // namespace

std::string_view initializer_name(Initializer initializer) {
  for (const auto& [value, name] : initializer_table)
    if (value == initializer) return name;
  return "unknown";
}

std::optional<Initializer> initializer_from_name(std::string_view name) {
  for (const auto& [value, known] : initializer_table)
    if (known == name) return value;
  return std::nullopt;
}

std::vector<std::string_view> initializer_names() {
  std::vector<std::string_view> result;
  for (const auto& entry : initializer_table) result.push_back(entry.second);
  return result;
}

}  // namespace bnrun::nn
