// The activation layer kind: a standalone nonlinearity, so BatchNorm can sit between a Dense layer and its
// activation (as in the paper) rather than after it (as in the seed notebook).
//
// Config and model files: {"type": "activation", "activation"} (required: there is no sensible default). No tensors.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/layer.h"
#include "nn/layers/common.h"

namespace bnrun::nn {

struct ActivationSpec {
  static constexpr std::string_view type = "activation";

  Activation activation = Activation::relu;

  static ActivationSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t) const { return {}; }
  std::optional<Activation> output_nonlinearity() const { return activation; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const;
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

template <class T>
class ActivationLayer final : public Layer<T> {
 public:
  ActivationLayer(std::string name, std::size_t width, Activation activation)
      : Layer<T>(std::move(name)), width_(width), activation_(activation) {}

  std::string_view kind() const override { return ActivationSpec::type; }
  std::size_t input_width() const override { return width_; }
  std::size_t output_width() const override { return width_; }
  Activation activation() const { return activation_; }

  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode) override {
    output.reshape(input.rows, input.cols);
    kernels::activation_forward(compute, activation_, input.data(), output.data(), input.rows, input.cols);
  }
  void backward(const Compute& compute, const Matrix<T>&, const Matrix<T>& output, const Matrix<T>& output_gradient,
                Matrix<T>* input_gradient) override {
    if (!input_gradient) return;
    input_gradient->reshape(output.rows, output.cols);
    kernels::activation_backward(compute, activation_, output.data(), output_gradient.data(), input_gradient->data(),
                                 output.rows, output.cols);
  }

 private:
  std::size_t width_;
  Activation activation_;
};

}  // namespace bnrun::nn
