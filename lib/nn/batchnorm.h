// BatchNormalization layer (Keras semantics; the math and its threading are in kernels/batchnorm.h).
//
// Training: normalizes with the batch's statistics and moves the running statistics toward them,
//   running = momentum·running + (1 − momentum)·batch   (Keras convention; PyTorch's momentum is 1 − ours),
// where the batch variance fed to the running average is biased (Keras) or multiplied by m/(m − 1) (PyTorch),
// as RunningVariance says. The normalization itself always uses the biased variance.
// Inference: normalizes with the running statistics only, so a row's output never depends on its batch.
#pragma once

#include <string>

#include "nn/layer.h"
#include "nn/spec.h"

namespace bnrun::nn {

template <class T>
class BatchNorm final : public Layer<T> {
 public:
  BatchNorm(std::string name, std::size_t features, const BatchNormSpec& spec);

  std::string_view kind() const override { return "batchnorm"; }
  std::size_t input_width() const override { return features_; }
  std::size_t output_width() const override { return features_; }
  void forward(const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Matrix<T>& input, const Matrix<T>& output, const Matrix<T>& output_gradient,
                Matrix<T>* input_gradient) override;
  std::vector<Parameter<T>> parameters() override;
  std::vector<StateTensor<T>> state() override;

  std::vector<T>& gamma() { return gamma_; }
  std::vector<T>& beta() { return beta_; }
  std::vector<T>& running_mean() { return running_mean_; }
  std::vector<T>& running_variance() { return running_variance_; }
  const std::vector<T>& batch_mean() const { return batch_mean_; }
  const std::vector<T>& batch_variance() const { return batch_variance_; }

 private:
  void update_running_statistics(std::size_t rows);

  std::size_t features_;
  BatchNormSpec spec_;
  std::vector<T> gamma_, beta_;  // empty when scale / center is off
  std::vector<T> gamma_gradient_, beta_gradient_;
  std::vector<T> running_mean_, running_variance_;
  std::vector<T> batch_mean_, batch_variance_, rstd_;  // from the last training forward
  Matrix<T> x_hat_;
  Matrix<T> unused_input_gradient_;
};

}  // namespace bnrun::nn
