#include "nn/dense.h"

#include "kernels/gemm.h"

namespace bnrun::nn {

template <class T>
Dense<T>::Dense(std::string name, std::size_t inputs, const DenseSpec& spec)
    : Layer<T>(std::move(name)),
      inputs_(inputs),
      spec_(spec),
      kernel_(inputs * spec.units),
      bias_(spec.use_bias ? spec.units : 0),
      kernel_gradient_(kernel_.size()),
      bias_gradient_(bias_.size()),
      kernel_transposed_(kernel_.size()) {}

template <class T>
void Dense<T>::forward(const Matrix<T>& input, Matrix<T>& output, Mode) {
  output.reshape(input.rows, spec_.units);
  kernels::matmul(input.data(), kernel_.data(), output.data(), input.rows, inputs_, spec_.units);
  if (spec_.use_bias) kernels::add_row_vector(output.data(), bias_.data(), input.rows, spec_.units);
  if (spec_.activation != Activation::linear)
    kernels::activation_forward(spec_.activation, output.data(), output.data(), input.rows, spec_.units);
}

template <class T>
void Dense<T>::backward(const Matrix<T>& input, const Matrix<T>& output, const Matrix<T>& output_gradient,
                        Matrix<T>* input_gradient) {
  const std::size_t rows = input.rows;
  // Without an activation, d(loss)/d(xW + b) is the output gradient itself: no copy.
  const T* dz = output_gradient.data();
  if (spec_.activation != Activation::linear) {
    pre_activation_gradient_.reshape(rows, spec_.units);
    kernels::activation_backward(spec_.activation, output.data(), output_gradient.data(),
                                 pre_activation_gradient_.data(), rows, spec_.units);
    dz = pre_activation_gradient_.data();
  }
  kernels::matmul_transposed_a(input.data(), dz, kernel_gradient_.data(), rows, inputs_, spec_.units);
  if (spec_.use_bias) kernels::column_sums(dz, bias_gradient_.data(), rows, spec_.units);
  if (input_gradient) {
    input_gradient->reshape(rows, inputs_);
    kernels::transpose(kernel_.data(), kernel_transposed_.data(), inputs_, spec_.units);
    kernels::matmul(dz, kernel_transposed_.data(), input_gradient->data(), rows, spec_.units, inputs_);
  }
}

template <class T>
std::vector<Parameter<T>> Dense<T>::parameters() {
  std::vector<Parameter<T>> result{{this->name() + "/kernel", &kernel_, &kernel_gradient_, true}};
  if (spec_.use_bias) result.push_back({this->name() + "/bias", &bias_, &bias_gradient_, false});
  return result;
}

template class Dense<float>;
template class Dense<double>;

}  // namespace bnrun::nn
