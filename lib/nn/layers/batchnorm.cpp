#include "nn/layers/batchnorm.h"

#include <fmt/format.h>
#include <array>
#include <utility>

#include "core/names.h"
#include "kernels/batchnorm.h"

namespace bnrun::nn {

namespace {

constexpr std::array<std::pair<RunningVariance, std::string_view>, 2> running_variance_table = {{
    {RunningVariance::biased, "biased"},
    {RunningVariance::unbiased, "unbiased"},
}};

}  // namespace

BatchNormSpec BatchNormSpec::from_json(ObjectReader& reader, Defaults defaults) {
  BatchNormSpec batchnorm;
  batchnorm.momentum =
      read_number(reader, "momentum", batchnorm.momentum, {0.0, 1.0, true, true, "in [0, 1]"}, defaults);
  batchnorm.epsilon = read_number(reader, "epsilon", batchnorm.epsilon, positive(), defaults);
  batchnorm.center = read_boolean(reader, "center", batchnorm.center, defaults);
  batchnorm.scale = read_boolean(reader, "scale", batchnorm.scale, defaults);
  batchnorm.running_variance =
      *value_in(running_variance_table,
                read_choice(reader, "running_variance", name_in(running_variance_table, batchnorm.running_variance),
                            names_in(running_variance_table), defaults));
  return batchnorm;
}

void BatchNormSpec::to_json(nlohmann::ordered_json& object) const {
  object["momentum"] = momentum;
  object["epsilon"] = epsilon;
  object["center"] = center;
  object["scale"] = scale;
  object["running_variance"] = name_in(running_variance_table, running_variance);
}

std::vector<TensorInfo> BatchNormSpec::tensors(std::size_t input_width) const {
  std::vector<TensorInfo> result;
  if (scale) result.push_back({"gamma", {input_width}, true, true});
  if (center) result.push_back({"beta", {input_width}, true, true});
  result.push_back({"running_mean", {input_width}, false, true});
  result.push_back({"running_variance", {input_width}, false, true, true});
  return result;
}

std::string BatchNormSpec::summary(bool) const {
  return fmt::format("momentum {}, epsilon {}", momentum, epsilon);
}

template <class T>
std::unique_ptr<Layer<T>> BatchNormSpec::build(const LayerPlace& place) const {
  return std::make_unique<BatchNorm<T>>(place.name, place.input_width, *this);
}

template std::unique_ptr<Layer<float>> BatchNormSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> BatchNormSpec::build<double>(const LayerPlace&) const;

template <class T>
BatchNorm<T>::BatchNorm(std::string name, std::size_t features, const BatchNormSpec& spec)
    : Layer<T>(std::move(name)),
      features_(features),
      spec_(spec),
      gamma_(spec.scale ? features : 0, T{1}),
      beta_(spec.center ? features : 0, T{0}),
      gamma_gradient_(gamma_.size()),
      beta_gradient_(beta_.size()),
      running_mean_(features, T{0}),
      running_variance_(features, T{1}),
      batch_mean_(features),
      batch_variance_(features),
      rstd_(features) {}

template <class T>
void BatchNorm<T>::forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) {
  output.reshape(input.rows, features_);
  const T* gamma = spec_.scale ? gamma_.data() : nullptr;
  const T* beta = spec_.center ? beta_.data() : nullptr;
  const auto epsilon = static_cast<T>(spec_.epsilon);
  if (mode == Mode::inference) {
    kernels::batchnorm_forward_inference(compute, input.data(), input.rows, features_, gamma, beta, running_mean_.data(),
                                         running_variance_.data(), epsilon, output.data());
    return;
  }
  x_hat_.reshape(input.rows, features_);
  kernels::batchnorm_forward_train(
      compute, input.data(), input.rows, features_, gamma, beta, epsilon,
      {output.data(), x_hat_.data(), batch_mean_.data(), batch_variance_.data(), rstd_.data()});
  update_running_statistics(input.rows);
}

template <class T>
void BatchNorm<T>::update_running_statistics(std::size_t rows) {
  const double momentum = spec_.momentum;
  const double variance_correction = spec_.running_variance == RunningVariance::unbiased && rows > 1
                                         ? static_cast<double>(rows) / static_cast<double>(rows - 1)
                                         : 1.0;
  for (std::size_t j = 0; j < features_; ++j) {
    running_mean_[j] = static_cast<T>(momentum * running_mean_[j] + (1.0 - momentum) * batch_mean_[j]);
    running_variance_[j] =
        static_cast<T>(momentum * running_variance_[j] + (1.0 - momentum) * variance_correction * batch_variance_[j]);
  }
}

template <class T>
void BatchNorm<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>&,
                            const Matrix<T>& output_gradient, Matrix<T>* input_gradient) {
  // As the first layer, BN's dx is not needed but the kernel computes it anyway (it is one cheap pass).
  Matrix<T>& dx = input_gradient ? *input_gradient : unused_input_gradient_;
  dx.reshape(input.rows, features_);
  kernels::batchnorm_backward(
      compute, output_gradient.data(), x_hat_.data(), rstd_.data(), spec_.scale ? gamma_.data() : nullptr, input.rows, features_,
      dx.data(), spec_.scale ? gamma_gradient_.data() : nullptr, spec_.center ? beta_gradient_.data() : nullptr);
}

template <class T>
std::vector<Parameter<T>> BatchNorm<T>::parameters() {
  std::vector<Parameter<T>> result;
  if (spec_.scale) result.push_back({this->name() + "/gamma", &gamma_, &gamma_gradient_, false});
  if (spec_.center) result.push_back({this->name() + "/beta", &beta_, &beta_gradient_, false});
  return result;
}

template <class T>
std::vector<StateTensor<T>> BatchNorm<T>::state() {
  return {{this->name() + "/running_mean", &running_mean_}, {this->name() + "/running_variance", &running_variance_}};
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace bnrun::nn
