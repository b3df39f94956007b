#include "nn/model.h"

#include <fmt/format.h>
#include <array>
#include <stdexcept>
#include <utility>
#include <variant>

#include "kernels/activation.h"

namespace bnrun::nn {

namespace {

bool is_output_nonlinearity(Activation activation) {
  return activation == Activation::softmax || activation == Activation::sigmoid;
}

}  // namespace

template <class T>
Model<T>::Model(const ModelSpec& spec, std::uint64_t seed)
    : input_width_(spec.inputs), output_width_(spec.inputs), evaluation_batch_size_(spec.evaluation_batch_size) {
  std::size_t width = spec.inputs;
  std::array<std::size_t, std::variant_size_v<LayerSpec>> count_of_kind{};
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& layer = spec.layers[i];
    const auto nonlinearity = output_nonlinearity(layer);
    const bool loss_applies_output =
        i + 1 == spec.layers.size() && nonlinearity && is_output_nonlinearity(*nonlinearity);
    if (loss_applies_output) output_activation_ = *nonlinearity;
    const std::size_t ordinal = count_of_kind[layer.index()]++;
    const LayerPlace place{fmt::format("{}_{}", layer_type(layer), ordinal + 1), ordinal, width, seed,
                           loss_applies_output};
    layers_.push_back(build_layer<T>(layer, place));
    details_.push_back(layer_summary(layer, loss_applies_output));
    tensor_infos_.push_back(layer_tensors(layer, width));
    width = nn::output_width(layer, width);
  }
  output_width_ = width;
  outputs_.resize(layers_.size());
}

template <class T>
const Matrix<T>& Model<T>::forward(const Compute& compute, const Matrix<T>& input, Mode mode) {
  const Matrix<T>* current = &input;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward(compute, *current, outputs_[i], mode);
    current = &outputs_[i];
  }
  return *current;
}

template <class T>
void Model<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& logits_gradient) {
  const Matrix<T>* output_gradient = &logits_gradient;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const Matrix<T>& layer_input = i == 0 ? input : outputs_[i - 1];
    Matrix<T>* input_gradient = nullptr;
    if (i > 0) input_gradient = output_gradient == &gradient_a_ ? &gradient_b_ : &gradient_a_;
    layers_[i]->backward(compute, layer_input, outputs_[i], *output_gradient, input_gradient);
    output_gradient = input_gradient;
  }
}

template <class T>
void Model<T>::to_probabilities(const Compute& compute, Matrix<T>& logits) const {
  kernels::activation_forward(compute, output_activation_, logits.data(), logits.data(), logits.rows, logits.cols);
}

template <class T>
void Model<T>::set_replicas(const Replicas* replicas) {
  for (auto& layer : layers_) layer->set_replicas(replicas);
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
std::vector<ModelTensor<T>> Model<T>::tensors() {
  std::vector<ModelTensor<T>> result;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer<T>& layer = *layers_[i];
    std::vector<std::pair<std::string, std::vector<T>*>> own;
    for (const auto& parameter : layer.parameters()) own.emplace_back(parameter.name, parameter.values);
    for (const auto& tensor : layer.state()) own.emplace_back(tensor.name, tensor.values);
    const std::vector<TensorInfo>& infos = tensor_infos_[i];
    if (own.size() != infos.size())
      throw std::logic_error(
          fmt::format("{} has {} tensors, its kind describes {}", layer.name(), own.size(), infos.size()));
    for (std::size_t t = 0; t < infos.size(); ++t) {
      if (own[t].first != layer.name() + "/" + infos[t].key || own[t].second->size() != infos[t].size())
        throw std::logic_error(fmt::format("{}'s tensor {} is {} of {} numbers, its kind describes {} of {}",
                                           layer.name(), t, own[t].first, own[t].second->size(), infos[t].key,
                                           infos[t].size()));
      result.push_back({layer.name(), infos[t], own[t].second});
    }
  }
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
