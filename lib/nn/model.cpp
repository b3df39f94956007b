#include "nn/model.h"

#include <fmt/format.h>

#include "core/random.h"
#include "kernels/activation.h"
#include "nn/activation_layer.h"
#include "nn/batchnorm.h"
#include "nn/dense.h"
#include "nn/initializers.h"

namespace bnrun::nn {

namespace {

bool is_output_nonlinearity(Activation activation) {
  return activation == Activation::softmax || activation == Activation::sigmoid;
}

}  // namespace

template <class T>
Model<T>::Model(const ModelSpec& spec, std::uint64_t seed) : input_width_(spec.inputs), output_width_(spec.inputs) {
  std::size_t width = spec.inputs;
  std::size_t dense_count = 0;
  std::size_t batchnorm_count = 0;
  std::size_t activation_count = 0;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const bool is_last = i + 1 == spec.layers.size();
    const LayerSpec& layer = spec.layers[i];
    if (const auto* dense = std::get_if<DenseSpec>(&layer)) {
      DenseSpec as_built = *dense;
      if (is_last && is_output_nonlinearity(dense->activation)) {
        output_activation_ = dense->activation;
        as_built.activation = Activation::linear;
      }
      auto built = std::make_unique<Dense<T>>(fmt::format("dense_{}", dense_count + 1), width, as_built);
      Random random = Random::stream(seed, "dense", dense_count);
      initialize_kernel(dense->initializer, width, dense->units, random, built->kernel());
      if (dense->kernel_scale != 1.0)
        for (T& weight : built->kernel()) weight = static_cast<T>(weight * dense->kernel_scale);
      details_.push_back(fmt::format("{} units, {}", dense->units, kernels::activation_name(dense->activation)));
      layers_.push_back(std::move(built));
      width = dense->units;
      ++dense_count;
    } else if (const auto* batchnorm = std::get_if<BatchNormSpec>(&layer)) {
      layers_.push_back(
          std::make_unique<BatchNorm<T>>(fmt::format("batchnorm_{}", ++batchnorm_count), width, *batchnorm));
      details_.push_back(fmt::format("momentum {}, epsilon {}", batchnorm->momentum, batchnorm->epsilon));
    } else {
      const auto activation = std::get<ActivationSpec>(layer).activation;
      const auto name = fmt::format("activation_{}", ++activation_count);
      if (is_last && is_output_nonlinearity(activation)) {
        output_activation_ = activation;
        details_.push_back(fmt::format("{} (fused with the loss)", kernels::activation_name(activation)));
        layers_.push_back(std::make_unique<ActivationLayer<T>>(name, width, Activation::linear));
      } else {
        details_.push_back(std::string(kernels::activation_name(activation)));
        layers_.push_back(std::make_unique<ActivationLayer<T>>(name, width, activation));
      }
    }
  }
  output_width_ = width;
  outputs_.resize(layers_.size());
}

template <class T>
const Matrix<T>& Model<T>::forward(const Matrix<T>& input, Mode mode) {
  const Matrix<T>* current = &input;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward(*current, outputs_[i], mode);
    current = &outputs_[i];
  }
  return *current;
}

template <class T>
void Model<T>::backward(const Matrix<T>& input, const Matrix<T>& logits_gradient) {
  const Matrix<T>* output_gradient = &logits_gradient;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const Matrix<T>& layer_input = i == 0 ? input : outputs_[i - 1];
    Matrix<T>* input_gradient = nullptr;
    if (i > 0) input_gradient = output_gradient == &gradient_a_ ? &gradient_b_ : &gradient_a_;
    layers_[i]->backward(layer_input, outputs_[i], *output_gradient, input_gradient);
    output_gradient = input_gradient;
  }
}

template <class T>
void Model<T>::to_probabilities(Matrix<T>& logits) const {
  kernels::activation_forward(output_activation_, logits.data(), logits.data(), logits.rows, logits.cols);
}

template <class T>
std::vector<Parameter<T>> Model<T>::parameters() {
  std::vector<Parameter<T>> result;
  for (auto& layer : layers_)
    for (auto& parameter : layer->parameters()) result.push_back(parameter);
  return result;
}

template <class T>
std::vector<StateTensor<T>> Model<T>::state() {
  std::vector<StateTensor<T>> result;
  for (auto& layer : layers_)
    for (auto& tensor : layer->state()) result.push_back(tensor);
  return result;
}

template <class T>
std::vector<LayerSummary> Model<T>::summary() const {
  std::vector<LayerSummary> result;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer<T>& layer = *layers_[i];
    LayerSummary row;
    row.name = layer.name();
    row.kind = std::string(layer.kind());
    row.detail = details_[i];
    row.output_width = layer.output_width();
    for (const auto& parameter : layer.parameters()) row.trainable += parameter.values->size();
    for (const auto& tensor : layer.state()) row.non_trainable += tensor.values->size();
    result.push_back(row);
  }
  return result;
}

template class Model<float>;
template class Model<double>;

}  // namespace bnrun::nn
