#include "nn/layers/groupnorm.h"

#include <fmt/format.h>
#include <stdexcept>
#include <utility>

#include "kernels/group_norm.h"

namespace bnrun::nn {

GroupNormSpec GroupNormSpec::from_json(ObjectReader& reader, Defaults defaults) {
  GroupNormSpec groupnorm;
  if (defaults == Defaults::refused) reader.required("groups");
  groupnorm.groups = static_cast<std::size_t>(
      reader.integer_or("groups", static_cast<std::int64_t>(groupnorm.groups), 1, max_layer_width));
  groupnorm.epsilon = read_number(reader, "epsilon", groupnorm.epsilon, positive(), defaults);
  groupnorm.center = read_boolean(reader, "center", groupnorm.center, defaults);
  groupnorm.scale = read_boolean(reader, "scale", groupnorm.scale, defaults);
  return groupnorm;
}

void GroupNormSpec::to_json(nlohmann::ordered_json& object) const {
  object["groups"] = groups;
  object["epsilon"] = epsilon;
  object["center"] = center;
  object["scale"] = scale;
}

std::vector<TensorInfo> GroupNormSpec::tensors(std::size_t input_width) const {
  std::vector<TensorInfo> result;
  if (scale) result.push_back({"gamma", {input_width}, true, true});
  if (center) result.push_back({"beta", {input_width}, true, true});
  return result;
}

std::string GroupNormSpec::summary(bool) const {
  return fmt::format("{} groups, epsilon {}", groups, epsilon);
}

std::string GroupNormSpec::label() const {
  return fmt::format("GN({})", groups);
}

std::optional<WidthProblem> GroupNormSpec::input_width_problem(std::size_t input_width) const {
  if (input_width % groups == 0) return std::nullopt;
  return WidthProblem{"groups", fmt::format("{} does not divide the {} features", groups, input_width)};
}

template <class T>
std::unique_ptr<Layer<T>> GroupNormSpec::build(const LayerPlace& place) const {
  return std::make_unique<GroupNorm<T>>(place.name, type, place.input_width,
                                        GroupNormSettings{groups, epsilon, center, scale});
}

template std::unique_ptr<Layer<float>> GroupNormSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> GroupNormSpec::build<double>(const LayerPlace&) const;

template <class T>
GroupNorm<T>::GroupNorm(std::string name, std::string_view kind, std::size_t features,
                        const GroupNormSettings& settings)
    : Layer<T>(std::move(name)),
      kind_(kind),
      features_(features),
      settings_(settings),
      gamma_(settings.scale ? features : 0, T{1}),
      beta_(settings.center ? features : 0, T{0}),
      gamma_gradient_(gamma_.size()),
      beta_gradient_(beta_.size()) {
  if (settings.groups == 0 || features % settings.groups != 0)
    throw std::invalid_argument(fmt::format("{}: {} groups do not divide {} features", this->name(),
                                            settings.groups, features));
}

template <class T>
void GroupNorm<T>::forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) {
  output.reshape(input.rows, features_);
  const bool keep = mode == Mode::train;
  if (keep) {
    x_hat_.reshape(input.rows, features_);
    rstd_.reshape(input.rows, settings_.groups);
  }
  kernels::group_norm_forward(compute, input.data(), input.rows, features_, settings_.groups,
                              settings_.scale ? gamma_.data() : nullptr, settings_.center ? beta_.data() : nullptr,
                              static_cast<T>(settings_.epsilon),
                              {output.data(), keep ? x_hat_.data() : nullptr, keep ? rstd_.data() : nullptr});
}

template <class T>
void GroupNorm<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>&,
                            const Matrix<T>& output_gradient, Matrix<T>* input_gradient) {
  Matrix<T>& dx = input_gradient ? *input_gradient : unused_input_gradient_;
  dx.reshape(input.rows, features_);
  kernels::group_norm_backward(compute, output_gradient.data(), x_hat_.data(), rstd_.data(),
                               settings_.scale ? gamma_.data() : nullptr, input.rows, features_, settings_.groups,
                               dx.data(), settings_.scale ? gamma_gradient_.data() : nullptr,
                               settings_.center ? beta_gradient_.data() : nullptr);
}

template <class T>
std::vector<Parameter<T>> GroupNorm<T>::parameters() {
  std::vector<Parameter<T>> result;
  if (settings_.scale) result.push_back({this->name() + "/gamma", &gamma_, &gamma_gradient_, false});
  if (settings_.center) result.push_back({this->name() + "/beta", &beta_, &beta_gradient_, false});
  return result;
}

template class GroupNorm<float>;
template class GroupNorm<double>;

}  // namespace bnrun::nn
