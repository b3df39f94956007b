// A standalone nonlinearity, so BatchNorm can sit between a Dense layer and its activation (as in the paper)
// rather than after it (as in the seed notebook).
#pragma once

#include <string>
#include <utility>

#include "nn/layer.h"
#include "nn/spec.h"

namespace bnrun::nn {

template <class T>
class ActivationLayer final : public Layer<T> {
 public:
  ActivationLayer(std::string name, std::size_t width, Activation activation)
      : Layer<T>(std::move(name)), width_(width), activation_(activation) {}

  std::string_view kind() const override { return "activation"; }
  std::size_t input_width() const override { return width_; }
  std::size_t output_width() const override { return width_; }
  Activation activation() const { return activation_; }

  void forward(const Matrix<T>& input, Matrix<T>& output, Mode) override {
    output.reshape(input.rows, input.cols);
    kernels::activation_forward(activation_, input.data(), output.data(), input.rows, input.cols);
  }
  void backward(const Matrix<T>&, const Matrix<T>& output, const Matrix<T>& output_gradient,
                Matrix<T>* input_gradient) override {
    if (!input_gradient) return;
    input_gradient->reshape(output.rows, output.cols);
    kernels::activation_backward(activation_, output.data(), output_gradient.data(), input_gradient->data(),
                                 output.rows, output.cols);
  }

 private:
  std::size_t width_;
  Activation activation_;
};

}  // namespace bnrun::nn
