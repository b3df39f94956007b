// LayerNormalization layer (Ba, Kiros & Hinton 2016), exactly PyTorch's nn.LayerNorm(features) on a
// (rows × features) input: each row is normalized by the mean and biased variance of its own features, then
// y = gamma·x_hat + beta with gamma and beta per feature. It is GroupNorm with one group and is built as a
// GroupNorm<T> (nn/layers/groupnorm.h; the kernel is kernels/group_norm.h). No running statistics: training and
// inference compute the same thing, and a batch of one row is fine.
//
// Config and model files: {"type": "layernorm", "epsilon" (1e-5, PyTorch's; Keras' LayerNormalization uses
// 1e-3), "center" (true), "scale" (true)}. Tensors, each [features]: gamma and beta (trainable; absent when
// scale / center is off).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/layer.h"
#include "nn/layers/common.h"

namespace bnrun::nn {

struct LayerNormSpec {
  static constexpr std::string_view type = "layernorm";

  double epsilon = 1e-5;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma

  static LayerNormSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t input_width) const;
  std::optional<Activation> output_nonlinearity() const { return std::nullopt; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const { return "LN"; }
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

}  // namespace bnrun::nn
