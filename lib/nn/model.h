// A sequential MLP built from a ModelSpec, with its output nonlinearity split off.
//
// The last softmax or sigmoid (a Dense layer's activation or a standalone activation layer) is not applied by
// forward(): forward returns logits, the loss fuses the nonlinearity with the log (kernels/loss.h), and
// probabilities() applies it when someone wants them. Every other layer runs as written.
//
// Initialization: layer number d of a kind (counting layers of that kind only, from 0) draws from the stream
// Random::stream(seed, <kind>, d), e.g. a Dense kernel from ("dense", d). Removing BatchNorm layers therefore leaves
// every initial weight unchanged, which is what makes the bn / no_bn comparison paired.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"
#include "nn/spec.h"

namespace bnrun::nn {

// One row of a Keras-style model summary.
struct LayerSummary {
  std::string name;
  std::string kind;
  std::string detail;  // e.g. "64 units, relu"
  std::size_t output_width = 0;
  std::size_t trainable = 0;
  std::size_t non_trainable = 0;
};

// One tensor of a built model, under the name model files give it: weights.<layer>.<info.key>.
template <class T>
struct ModelTensor {
  std::string layer;
  TensorInfo info;
  std::vector<T>* values;
};

template <class T>
class Model {
 public:
  Model(const ModelSpec& spec, std::uint64_t seed);

  std::size_t input_width() const { return input_width_; }
  std::size_t output_width() const { return output_width_; }
  // softmax, sigmoid, or linear when the model ends in neither.
  Activation output_activation() const { return output_activation_; }
  // ModelSpec::evaluation_batch_size: the rows per inference batch, 0 when inference is row-independent.
  std::size_t evaluation_batch_size() const { return evaluation_batch_size_; }

  // Returns the logits (rows × output_width). The reference stays valid until the next forward. Every pass runs
  // its kernels within `compute` (kernels/parallel.h).
  const Matrix<T>& forward(const Compute& compute, const Matrix<T>& input, Mode mode);
  // Back-propagates d(loss)/d(logits) through the last forward(Mode::train) on `input`.
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& logits_gradient);
  // Applies the output nonlinearity to logits, in place.
  void to_probabilities(const Compute& compute, Matrix<T>& logits) const;

  // Every layer trains as one of these processes (nn/replicas.h, Layer::set_replicas); null: one process.
  void set_replicas(const Replicas* replicas);

  std::vector<Parameter<T>> parameters();
  std::vector<StateTensor<T>> state();
  // Every tensor in layer order, each layer's as its kind describes them (nn/layer_kinds.h). Throws
  // std::logic_error if a layer's own tensors are not the ones its kind describes, which would be a bug in the kind.
  std::vector<ModelTensor<T>> tensors();
  std::vector<LayerSummary> summary() const;
  const std::vector<std::unique_ptr<Layer<T>>>& layers() const { return layers_; }

 private:
  std::size_t input_width_;
  std::size_t output_width_;
  Activation output_activation_ = Activation::linear;
  std::size_t evaluation_batch_size_ = 0;
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<std::string> details_;                   // details_[i] is layer i's summary detail
  std::vector<std::vector<TensorInfo>> tensor_infos_;  // layer i's tensors, as its kind describes them
  std::vector<Matrix<T>> outputs_;                     // outputs_[i] is layer i's output from the last forward
  Matrix<T> gradient_a_, gradient_b_;                  // ping-pong buffers for the backward pass
};

}  // namespace bnrun::nn
