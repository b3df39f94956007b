#include "nn/spec.h"

#include <array>
#include <utility>

#include "core/names.h"

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

std::string_view initializer_name(Initializer initializer) { return name_in(initializer_table, initializer); }

std::optional<Initializer> initializer_from_name(std::string_view name) { return value_in(initializer_table, name); }

std::vector<std::string_view> initializer_names() { return names_in(initializer_table); }

}  // namespace bnrun::nn
