#include "nn/layers/activation.h"

#include <fmt/format.h>

namespace bnrun::nn {

ActivationSpec ActivationSpec::from_json(ObjectReader& reader, Defaults defaults) {
  return ActivationSpec{read_activation(reader, "activation", "", defaults)};
}

void ActivationSpec::to_json(nlohmann::ordered_json& object) const {
  object["activation"] = kernels::activation_name(activation);
}

std::string ActivationSpec::summary(bool loss_applies_output) const {
  const std::string_view name = kernels::activation_name(activation);
  return loss_applies_output ? fmt::format("{} (fused with the loss)", name) : std::string(name);
}

std::string ActivationSpec::label() const {
  return std::string(kernels::activation_name(activation));
}

template <class T>
std::unique_ptr<Layer<T>> ActivationSpec::build(const LayerPlace& place) const {
  return std::make_unique<ActivationLayer<T>>(place.name, place.input_width,
                                              place.loss_applies_output ? Activation::linear : activation);
}

template std::unique_ptr<Layer<float>> ActivationSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> ActivationSpec::build<double>(const LayerPlace&) const;

}  // namespace bnrun::nn
