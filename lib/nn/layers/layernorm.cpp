#include "nn/layers/layernorm.h"

#include <fmt/format.h>

#include "nn/layers/groupnorm.h"

namespace bnrun::nn {

LayerNormSpec LayerNormSpec::from_json(ObjectReader& reader, Defaults defaults) {
  LayerNormSpec layernorm;
  layernorm.epsilon = read_number(reader, "epsilon", layernorm.epsilon, positive(), defaults);
  layernorm.center = read_boolean(reader, "center", layernorm.center, defaults);
  layernorm.scale = read_boolean(reader, "scale", layernorm.scale, defaults);
  return layernorm;
}

void LayerNormSpec::to_json(nlohmann::ordered_json& object) const {
  object["epsilon"] = epsilon;
  object["center"] = center;
  object["scale"] = scale;
}

std::vector<TensorInfo> LayerNormSpec::tensors(std::size_t input_width) const {
  return GroupNormSpec{1, epsilon, center, scale}.tensors(input_width);
}

std::string LayerNormSpec::summary(bool) const {
  return fmt::format("epsilon {}", epsilon);
}

template <class T>
std::unique_ptr<Layer<T>> LayerNormSpec::build(const LayerPlace& place) const {
  return std::make_unique<GroupNorm<T>>(place.name, type, place.input_width,
                                        GroupNormSettings{1, epsilon, center, scale});
}

template std::unique_ptr<Layer<float>> LayerNormSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> LayerNormSpec::build<double>(const LayerPlace&) const;

}  // namespace bnrun::nn
