#include "nn/layers/dense.h"

#include <fmt/format.h>

#include "core/random.h"
#include "kernels/gemm.h"

namespace bnrun::nn {

DenseSpec DenseSpec::from_json(ObjectReader& reader, Defaults defaults) {
  DenseSpec dense;
  const auto* units = defaults == Defaults::allowed ? reader.optional("units") : nullptr;
  if (defaults == Defaults::allowed && (!units || (units->is_string() && *units == "auto")))
    dense.units = auto_units;
  else if (units)
    dense.units = static_cast<std::size_t>(read_integer(*units, reader.path_of("units"), 1, max_layer_width));
  else
    dense.units = static_cast<std::size_t>(reader.required_integer("units", 1, max_layer_width));
  // Left out or "auto" (the output layer alone): one unit per class of the data.
  if (defaults == Defaults::allowed)
    reader.describe("units", {{"anyOf", {{{"type", "integer"}, {"minimum", 1}, {"maximum", max_layer_width}},
                                         {{"const", "auto"}}}}});
  dense.activation = read_activation(reader, "activation", "linear", defaults);
  dense.initializer =
      *initializer_from_name(read_choice(reader, "initializer", "glorot_uniform", initializer_names(), defaults));
  // Defaulted even in model files: only the initialization used it, and files written before it existed lack it.
  dense.kernel_scale = reader.number_or("kernel_scale", 1.0, positive());
  dense.use_bias = read_boolean(reader, "use_bias", true, defaults);
  return dense;
}

void DenseSpec::to_json(nlohmann::ordered_json& object) const {
  if (units == auto_units)
    object["units"] = "auto";
  else
    object["units"] = units;
  object["activation"] = kernels::activation_name(activation);
  object["initializer"] = initializer_name(initializer);
  object["kernel_scale"] = kernel_scale;
  object["use_bias"] = use_bias;
}

std::vector<TensorInfo> DenseSpec::tensors(std::size_t input_width) const {
  std::vector<TensorInfo> result{{"kernel", {input_width, units}, true, false}};
  if (use_bias) result.push_back({"bias", {units}, true, false});
  return result;
}

std::string DenseSpec::summary(bool) const {
  return fmt::format("{} unit{}, {}", units, units == 1 ? "" : "s", kernels::activation_name(activation));
}

std::string DenseSpec::label() const {
  // The output width left to the data ("auto") is known only once the data is read.
  std::string text = units == auto_units ? fmt::format("dense auto {}", kernels::activation_name(activation))
                                         : fmt::format("dense {} {}", units, kernels::activation_name(activation));
  // Written as JSON writes the number (10.0, 0.01), as the config shows it.
  if (kernel_scale != 1.0) text += fmt::format(" (init ×{})", nlohmann::json(kernel_scale).dump());
  return text;
}

template <class T>
std::unique_ptr<Layer<T>> DenseSpec::build(const LayerPlace& place) const {
  DenseSpec as_built = *this;
  if (place.loss_applies_output) as_built.activation = Activation::linear;
  auto layer = std::make_unique<Dense<T>>(place.name, place.input_width, as_built);
  Random random = Random::stream(place.seed, type, place.ordinal);
  initialize_kernel(initializer, place.input_width, units, random, layer->kernel());
  if (kernel_scale != 1.0)
    for (T& weight : layer->kernel()) weight = static_cast<T>(weight * kernel_scale);
  return layer;
}

template std::unique_ptr<Layer<float>> DenseSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> DenseSpec::build<double>(const LayerPlace&) const;

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
void Dense<T>::forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode) {
  output.reshape(input.rows, spec_.units);
  kernels::matmul(compute, input.data(), kernel_.data(), output.data(), input.rows, inputs_, spec_.units);
  if (spec_.use_bias) kernels::add_row_vector(compute, output.data(), bias_.data(), input.rows, spec_.units);
  if (spec_.activation != Activation::linear)
    kernels::activation_forward(compute, spec_.activation, output.data(), output.data(), input.rows, spec_.units);
}

template <class T>
void Dense<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                        const Matrix<T>& output_gradient, Matrix<T>* input_gradient) {
  const std::size_t rows = input.rows;
  // Without an activation, d(loss)/d(xW + b) is the output gradient itself: no copy.
  const T* dz = output_gradient.data();
  if (spec_.activation != Activation::linear) {
    pre_activation_gradient_.reshape(rows, spec_.units);
    kernels::activation_backward(compute, spec_.activation, output.data(), output_gradient.data(),
                                 pre_activation_gradient_.data(), rows, spec_.units);
    dz = pre_activation_gradient_.data();
  }
  kernels::matmul_transposed_a(compute, input.data(), dz, kernel_gradient_.data(), rows, inputs_, spec_.units);
  if (spec_.use_bias) kernels::column_sums(compute, dz, bias_gradient_.data(), rows, spec_.units);
  if (input_gradient) {
    input_gradient->reshape(rows, inputs_);
    kernels::transpose(compute, kernel_.data(), kernel_transposed_.data(), inputs_, spec_.units);
    kernels::matmul(compute, dz, kernel_transposed_.data(), input_gradient->data(), rows, spec_.units, inputs_);
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
