#include "nn/layers/dropout.h"

#include <fmt/format.h>
#include <algorithm>
#include <utility>

#include "core/random.h"
#include "kernels/dropout.h"

namespace bnrun::nn {

DropoutSpec DropoutSpec::from_json(ObjectReader& reader, Defaults defaults) {
  DropoutSpec dropout;
  dropout.rate = read_number(reader, "rate", dropout.rate, fraction_below_one(), defaults);
  return dropout;
}

void DropoutSpec::to_json(nlohmann::ordered_json& object) const {
  object["rate"] = rate;
}

std::string DropoutSpec::summary(bool) const {
  return fmt::format("rate {}", rate);
}

std::string DropoutSpec::label() const {
  return fmt::format("dropout {}", rate);
}

template <class T>
std::unique_ptr<Layer<T>> DropoutSpec::build(const LayerPlace& place) const {
  Random random = Random::stream(place.seed, type, place.ordinal);
  return std::make_unique<Dropout<T>>(place.name, place.input_width, rate, random.next());
}

template std::unique_ptr<Layer<float>> DropoutSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> DropoutSpec::build<double>(const LayerPlace&) const;

template <class T>
Dropout<T>::Dropout(std::string name, std::size_t features, double rate, std::uint64_t mask_seed)
    : Layer<T>(std::move(name)), features_(features), rate_(rate), mask_seed_(mask_seed) {}

template <class T>
void Dropout<T>::forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) {
  output.reshape(input.rows, features_);
  if (mode == Mode::inference) {
    std::copy(input.values.begin(), input.values.end(), output.values.begin());
    return;
  }
  mask_.reshape(input.rows, features_);
  Random random = Random::stream(mask_seed_, "dropout mask", masks_drawn_++);
  kernels::dropout_mask(compute, random, rate_, mask_.size(), mask_.data());
  kernels::dropout_apply(compute, input.data(), mask_.data(), input.size(), output.data());
}

template <class T>
void Dropout<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>&,
                          const Matrix<T>& output_gradient, Matrix<T>* input_gradient) {
  if (!input_gradient) return;
  input_gradient->reshape(input.rows, features_);
  kernels::dropout_apply(compute, output_gradient.data(), mask_.data(), output_gradient.size(),
                         input_gradient->data());
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace bnrun::nn
