// GroupNormalization layer (Wu & He 2018; PyTorch's nn.GroupNorm(groups, features) on a (rows × features) input;
// the math and its threading are in kernels/group_norm.h). Each row's features are split into `groups` contiguous
// groups, each normalized by its own mean and biased variance; gamma and beta are per feature. There are no
// running statistics: training and inference compute the same thing, and a batch of one row is fine.
// The GroupNorm<T> class also serves the layernorm kind (nn/layers/layernorm.h), which is one group.
//
// Config and model files: {"type": "groupnorm", "groups" (2), "epsilon" (1e-5), "center" (true), "scale" (true)}.
// `groups` must divide the layer's input width (input_width_problem; checked by the config with the key path).
// Tensors, each [features]: gamma and beta (trainable; absent when scale / center is off).
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

// Epsilon follows PyTorch (1e-5). PyTorch's num_groups has no default; ours is 2, the fewest groups that differ
// from LayerNorm, which divides every even width.
struct GroupNormSpec {
  static constexpr std::string_view type = "groupnorm";

  std::size_t groups = 2;
  double epsilon = 1e-5;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma

  static GroupNormSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t input_width) const;
  std::optional<Activation> output_nonlinearity() const { return std::nullopt; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const;
  // Why this layer cannot take `input_width` features, or nothing when it can.
  std::optional<WidthProblem> input_width_problem(std::size_t input_width) const;
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

// What a group-normalizing layer is made of, whichever kind it was written as.
struct GroupNormSettings {
  std::size_t groups = 1;
  double epsilon = 1e-5;
  bool center = true;
  bool scale = true;
};

template <class T>
class GroupNorm final : public Layer<T> {
 public:
  // `kind` is the kind's type ("groupnorm" or "layernorm"). Throws std::invalid_argument unless groups divides
  // features.
  GroupNorm(std::string name, std::string_view kind, std::size_t features, const GroupNormSettings& settings);

  std::string_view kind() const override { return kind_; }
  std::size_t input_width() const override { return features_; }
  std::size_t output_width() const override { return features_; }
  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                const Matrix<T>& output_gradient, Matrix<T>* input_gradient) override;
  std::vector<Parameter<T>> parameters() override;

  std::vector<T>& gamma() { return gamma_; }
  std::vector<T>& beta() { return beta_; }

 private:
  std::string_view kind_;
  std::size_t features_;
  GroupNormSettings settings_;
  std::vector<T> gamma_, beta_;  // empty when scale / center is off
  std::vector<T> gamma_gradient_, beta_gradient_;
  Matrix<T> x_hat_;  // from the last training forward
  Matrix<T> rstd_;   // rows × groups, from the last training forward
  Matrix<T> unused_input_gradient_;
};

}  // namespace bnrun::nn
