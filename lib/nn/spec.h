// What a model is made of, as plain data: the config layer fills these in, the model builder reads them.
// Nothing here knows about JSON or about training.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kernels/activation.h"

namespace bnrun::nn {

using kernels::Activation;

enum class Initializer { glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, zeros };

struct DenseSpec {
  std::size_t units = 0;
  Activation activation = Activation::linear;
  Initializer initializer = Initializer::glorot_uniform;
  bool use_bias = true;
  double kernel_scale = 1.0;  // multiplies the initial kernel: the "initialization scale" experiments
};

enum class RunningVariance { biased, unbiased };

// Defaults follow Keras' BatchNormalization, as the seed notebook does.
struct BatchNormSpec {
  double momentum = 0.99;  // running = momentum·running + (1 − momentum)·batch
  double epsilon = 1e-3;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  RunningVariance running_variance = RunningVariance::biased;
};

struct ActivationSpec {
  Activation activation = Activation::relu;
};

using LayerSpec = std::variant<DenseSpec, BatchNormSpec, ActivationSpec>;

struct ModelSpec {
  std::size_t inputs = 0;
  std::vector<LayerSpec> layers;
};

// The same model with every BatchNorm layer removed: the `no_bn` arm of the ablation.
ModelSpec without_batchnorm(const ModelSpec& spec);
bool has_batchnorm(const ModelSpec& spec);

std::string_view initializer_name(Initializer initializer);
std::optional<Initializer> initializer_from_name(std::string_view name);
std::vector<std::string_view> initializer_names();

}  // namespace bnrun::nn
