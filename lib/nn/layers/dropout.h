// Dropout layer (Srivastava et al. 2014), inverted as PyTorch's nn.Dropout and Keras' Dropout: in training each
// element is kept with probability 1 − rate and scaled by 1/(1 − rate), else set to 0; in inference the layer is
// the identity. The math is in kernels/dropout.h.
//
// Randomness: dropout layer number d (counting dropout layers only) owns the stream
// Random::stream(seed, "dropout", d), from which it takes one number, the layer's mask seed; training forward
// number k then draws its mask, element by element in row-major order, from Random::stream(mask seed,
// "dropout mask", k). So adding a dropout layer shifts no other stream (Dense weights, splits, shuffling), the mask
// is the same for any thread count, and the mask of a step depends only on the seed, the layer and the step.
//
// Config and model files: {"type": "dropout", "rate" (0.5, in [0, 1))}. No tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/layer.h"
#include "nn/layers/common.h"

namespace bnrun::nn {

struct DropoutSpec {
  static constexpr std::string_view type = "dropout";

  double rate = 0.5;  // the probability that an element is dropped, as PyTorch's p and Keras' rate

  static DropoutSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t) const { return {}; }
  std::optional<Activation> output_nonlinearity() const { return std::nullopt; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const;
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

template <class T>
class Dropout final : public Layer<T> {
 public:
  Dropout(std::string name, std::size_t features, double rate, std::uint64_t mask_seed);

  std::string_view kind() const override { return DropoutSpec::type; }
  std::size_t input_width() const override { return features_; }
  std::size_t output_width() const override { return features_; }
  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                const Matrix<T>& output_gradient, Matrix<T>* input_gradient) override;

  // How many training forwards have drawn a mask: the next one draws mask number masks_drawn(). Setting it
  // replays a step's mask (the gradient tests hold the mask fixed this way).
  std::uint64_t masks_drawn() const { return masks_drawn_; }
  void set_masks_drawn(std::uint64_t count) { masks_drawn_ = count; }
  // The last training forward's mask: 0 or 1/(1 − rate) per element.
  const Matrix<T>& mask() const { return mask_; }

 private:
  std::size_t features_;
  double rate_;
  std::uint64_t mask_seed_;
  std::uint64_t masks_drawn_ = 0;
  Matrix<T> mask_;
};

}  // namespace bnrun::nn
