#include "nn/layers/common.h"

#include <functional>
#include <numeric>

namespace bnrun::nn {

namespace {

void require_unless_defaults_allowed(ObjectReader& reader, std::string_view key, Defaults defaults) {
  if (defaults == Defaults::refused) reader.required(key);  // throws "is required but missing"
}

}  // namespace

std::string read_choice(ObjectReader& reader, std::string_view key, std::string_view fallback,
                        const std::vector<std::string_view>& choices, Defaults defaults) {
  require_unless_defaults_allowed(reader, key, defaults);
  return reader.choice_or(key, fallback, choices);
}

bool read_boolean(ObjectReader& reader, std::string_view key, bool fallback, Defaults defaults) {
  require_unless_defaults_allowed(reader, key, defaults);
  return reader.boolean_or(key, fallback);
}

double read_number(ObjectReader& reader, std::string_view key, double fallback, const ObjectReader::Range& range,
                   Defaults defaults) {
  require_unless_defaults_allowed(reader, key, defaults);
  return reader.number_or(key, fallback, range);
}

Activation read_activation(ObjectReader& reader, std::string_view key, std::string_view fallback, Defaults defaults) {
  if (fallback.empty()) reader.required(key);
  return *kernels::activation_from_name(read_choice(reader, key, fallback, kernels::activation_names(), defaults));
}

std::size_t TensorInfo::size() const {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

}  // namespace bnrun::nn
