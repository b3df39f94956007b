// The dense (fully connected) layer kind: y = f(x·W + b), W is (inputs × units), as Keras stores it.
// The activation f is applied in place and its derivative taken from y (see kernels/activation.h).
//
// Config and model files: {"type": "dense", "units", "activation" (linear), "initializer" (glorot_uniform),
// "kernel_scale" (1), "use_bias" (true)}. Tensors: kernel [inputs, units] and bias [units] (absent without bias).
// Dense layer number d (counting Dense layers only, from 0) draws its kernel from Random::stream(seed, "dense", d).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/initializers.h"
#include "nn/layer.h"
#include "nn/layers/common.h"

namespace bnrun::nn {

struct DenseSpec {
  static constexpr std::string_view type = "dense";

  // 0 (written "auto", or left out, in a config): the output layer's width, filled from the data before a model is
  // built (config::with_output_width); a model file always holds the number.
  static constexpr std::size_t auto_units = 0;
  std::size_t units = auto_units;
  Activation activation = Activation::linear;
  Initializer initializer = Initializer::glorot_uniform;
  bool use_bias = true;
  double kernel_scale = 1.0;  // multiplies the initial kernel: the "initialization scale" experiments

  static DenseSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t) const { return units; }
  std::vector<TensorInfo> tensors(std::size_t input_width) const;
  std::optional<Activation> output_nonlinearity() const { return activation; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const;
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(std::string name, std::size_t inputs, const DenseSpec& spec);

  std::string_view kind() const override { return DenseSpec::type; }
  std::size_t input_width() const override { return inputs_; }
  std::size_t output_width() const override { return spec_.units; }
  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                const Matrix<T>& output_gradient, Matrix<T>* input_gradient) override;
  std::vector<Parameter<T>> parameters() override;

  Activation activation() const { return spec_.activation; }
  std::vector<T>& kernel() { return kernel_; }
  std::vector<T>& bias() { return bias_; }

 private:
  std::size_t inputs_;
  DenseSpec spec_;
  std::vector<T> kernel_;  // inputs × units
  std::vector<T> bias_;    // units (empty without bias)
  std::vector<T> kernel_gradient_;
  std::vector<T> bias_gradient_;
  Matrix<T> pre_activation_gradient_;  // scratch: d(loss)/d(xW + b)
  std::vector<T> kernel_transposed_;   // scratch: Wᵀ, so dx = dz·Wᵀ is a plain matmul
};

}  // namespace bnrun::nn
