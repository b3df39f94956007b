// Dense (fully connected) layer: y = f(x·W + b), W is (inputs × units), as Keras stores it.
// The activation f is applied in place and its derivative taken from y (see kernels/activation.h).
#pragma once

#include <string>

#include "nn/layer.h"
#include "nn/spec.h"

namespace bnrun::nn {

template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(std::string name, std::size_t inputs, const DenseSpec& spec);

  std::string_view kind() const override { return "dense"; }
  std::size_t input_width() const override { return inputs_; }
  std::size_t output_width() const override { return spec_.units; }
  void forward(const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Matrix<T>& input, const Matrix<T>& output, const Matrix<T>& output_gradient,
                Matrix<T>* input_gradient) override;
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
