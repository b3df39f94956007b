// BatchNormalization layer (Keras semantics; the math and its threading are in kernels/batchnorm.h).
//
// Training: normalizes with the batch's statistics and moves the running statistics toward them,
//   running = momentum·running + (1 − momentum)·batch   (Keras convention; PyTorch's momentum is 1 − ours),
// where the batch variance fed to the running average is biased (Keras) or multiplied by m/(m − 1) (PyTorch),
// as RunningVariance says. The normalization itself always uses the biased variance.
// Inference: normalizes with the running statistics only, so a row's output never depends on its batch.
//
// Config and model files: {"type": "batchnorm", "momentum" (0.99), "epsilon" (0.001), "center" (true),
// "scale" (true), "running_variance" ("biased" | "unbiased")}. Tensors, each [features]: gamma and beta (trainable;
// absent when scale / center is off), running_mean and running_variance.
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

enum class RunningVariance { biased, unbiased };

// Defaults follow Keras' BatchNormalization, as the seed notebook does.
struct BatchNormSpec {
  static constexpr std::string_view type = "batchnorm";

  double momentum = 0.99;  // running = momentum·running + (1 − momentum)·batch
  double epsilon = 1e-3;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  RunningVariance running_variance = RunningVariance::biased;

  static BatchNormSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t input_width) const;
  std::optional<Activation> output_nonlinearity() const { return std::nullopt; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const { return "BN"; }
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

template <class T>
class BatchNorm final : public Layer<T> {
 public:
  BatchNorm(std::string name, std::size_t features, const BatchNormSpec& spec);

  std::string_view kind() const override { return BatchNormSpec::type; }
  std::size_t input_width() const override { return features_; }
  std::size_t output_width() const override { return features_; }
  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                const Matrix<T>& output_gradient, Matrix<T>* input_gradient) override;
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
