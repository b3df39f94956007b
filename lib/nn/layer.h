// The contract every layer meets (cf. flashlight's Module, dlib's layers_abstract.h).
//
// forward(compute, input, output, mode)
//   requires: input is (rows × input_width()).
//   ensures:  output is (rows × output_width()). In Mode::train the layer keeps what backward needs and updates
//             any running state; in Mode::inference it changes nothing (BatchNorm uses running statistics).
// backward(compute, input, output, output_gradient, input_gradient)
//   requires: the last forward was Mode::train on this `input`, producing this `output`.
//   ensures:  every parameter's gradient holds d(loss)/d(parameter) for this batch (overwritten, not
//             accumulated); *input_gradient = d(loss)/d(input) unless input_gradient is null (first layer).
// Both run their kernels within `compute`, the thread budget handed down by the caller (kernels/parallel.h).
// set_replicas(replicas)
//   ensures:  from the next forward on, the layer trains as one of replicas->size() processes that each hold a
//             slice of the batch (nn/replicas.h); null: one process holds the whole batch. Only layers whose
//             training couples the rows of a batch (BatchNorm) need to know; the others ignore it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/parallel.h"
#include "nn/matrix.h"
#include "nn/replicas.h"

namespace bnrun::nn {

using kernels::Compute;

enum class Mode { train, inference };

// A trainable tensor and its gradient, as the optimizer sees it.
template <class T>
struct Parameter {
  std::string name;  // e.g. "dense_1/kernel"
  std::vector<T>* values;
  std::vector<T>* gradients;
  bool is_kernel;  // Dense weight matrices: the only parameters L2 regularization applies to (as Keras'
                   // kernel_regularizer)
};

// A non-trainable tensor that is still part of the model (BatchNorm's running statistics).
template <class T>
struct StateTensor {
  std::string name;
  std::vector<T>* values;
};

template <class T>
class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  // Unique within a model, Keras-style: "dense_1", "batchnorm_2", "activation_1".
  const std::string& name() const { return name_; }
  virtual std::string_view kind() const = 0;
  virtual std::size_t input_width() const = 0;
  virtual std::size_t output_width() const = 0;
  virtual void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) = 0;
  virtual void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                        const Matrix<T>& output_gradient, Matrix<T>* input_gradient) = 0;
  virtual std::vector<Parameter<T>> parameters() { return {}; }
  virtual std::vector<StateTensor<T>> state() { return {}; }
  virtual void set_replicas(const Replicas*) {}

 private:
  std::string name_;
};

}  // namespace bnrun::nn
