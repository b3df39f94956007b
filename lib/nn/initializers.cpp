#include "nn/initializers.h"

#include <array>
#include <cmath>
#include <utility>

#include "core/names.h"

namespace bnrun::nn {

namespace {
constexpr double truncated_normal_std = 0.87962566103423978;

constexpr std::array<std::pair<Initializer, std::string_view>, 7> initializer_table = {{
    {Initializer::glorot_uniform, "glorot_uniform"},
    {Initializer::glorot_normal, "glorot_normal"},
    {Initializer::he_uniform, "he_uniform"},
    {Initializer::he_normal, "he_normal"},
    {Initializer::lecun_uniform, "lecun_uniform"},
    {Initializer::lecun_normal, "lecun_normal"},
    {Initializer::zeros, "zeros"},
}};
}  // namespace

std::string_view initializer_name(Initializer initializer) {
  return name_in(initializer_table, initializer);
}

std::optional<Initializer> initializer_from_name(std::string_view name) {
  return value_in(initializer_table, name);
}

std::vector<std::string_view> initializer_names() {
  return names_in(initializer_table);
}

template <class T>
void initialize_kernel(Initializer initializer, std::size_t fan_in, std::size_t fan_out, Random& random,
                       std::vector<T>& kernel) {
  const auto in = static_cast<double>(fan_in);
  const auto average = static_cast<double>(fan_in + fan_out) / 2.0;
  auto fill_uniform = [&](double limit) {
    for (T& w : kernel) w = static_cast<T>(random.uniform(-limit, limit));
  };
  auto fill_truncated_normal = [&](double stddev) {
    for (T& w : kernel) w = static_cast<T>(random.truncated_normal() * stddev / truncated_normal_std);
  };
  switch (initializer) {
    case Initializer::glorot_uniform:
      return fill_uniform(std::sqrt(3.0 / average));
    case Initializer::glorot_normal:
      return fill_truncated_normal(std::sqrt(1.0 / average));
    case Initializer::he_uniform:
      return fill_uniform(std::sqrt(6.0 / in));
    case Initializer::he_normal:
      return fill_truncated_normal(std::sqrt(2.0 / in));
    case Initializer::lecun_uniform:
      return fill_uniform(std::sqrt(3.0 / in));
    case Initializer::lecun_normal:
      return fill_truncated_normal(std::sqrt(1.0 / in));
    case Initializer::zeros:
      for (T& w : kernel) w = T{0};
      return;
  }
}

template void initialize_kernel<float>(Initializer, std::size_t, std::size_t, Random&, std::vector<float>&);
template void initialize_kernel<double>(Initializer, std::size_t, std::size_t, Random&, std::vector<double>&);

}  // namespace bnrun::nn
