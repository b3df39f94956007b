#include "nn/initializers.h"

#include <cmath>

namespace bnrun::nn {

namespace {
constexpr double truncated_normal_std = 0.87962566103423978;
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
