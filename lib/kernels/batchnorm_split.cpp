#include "kernels/batchnorm_split.h"

#include <algorithm>

#include "kernels/feature_chunks.h"

namespace bnrun::kernels {

namespace {

// One pass over each element, in double (kernels/feature_chunks.h splits the features between threads).
constexpr std::size_t cost_per_element = 8;

}  // namespace

template <class T>
void batchnorm_partial_statistics(const Compute& compute, const T* x, std::size_t rows, std::size_t features,
                                  double* sum, double* squared_deviations) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, std::size_t width) {
    double sums[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = x + i * features + first;
      for (std::size_t j = 0; j < width; ++j) sums[j] += row[j];
    }
    double mean[feature_chunk] = {};
    if (rows > 0)
      for (std::size_t j = 0; j < width; ++j) mean[j] = sums[j] / static_cast<double>(rows);
    double squares[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = x + i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        const double centered = row[j] - mean[j];
        squares[j] += centered * centered;
      }
    }
    for (std::size_t j = 0; j < width; ++j) {
      sum[first + j] = sums[j];
      squared_deviations[first + j] = squares[j];
    }
  });
}

template <class T>
void batchnorm_normalize(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* mean,
                         const T* rstd, const T* gamma, const T* beta, T* x_hat, T* y) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, std::size_t width) {
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        const std::size_t f = first + j;
        const T normalized = (x[offset + j] - mean[f]) * rstd[f];
        x_hat[offset + j] = normalized;
        y[offset + j] = (gamma ? gamma[f] : T{1}) * normalized + (beta ? beta[f] : T{0});
      }
    }
  });
}

template <class T>
void batchnorm_partial_gradient_sums(const Compute& compute, const T* dy, const T* x_hat, std::size_t rows,
                                     std::size_t features, double* sum_dy, double* sum_dy_x_hat) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, std::size_t width) {
    double dys[feature_chunk] = {};
    double dy_x_hats[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        dys[j] += dy[offset + j];
        dy_x_hats[j] += static_cast<double>(dy[offset + j]) * x_hat[offset + j];
      }
    }
    for (std::size_t j = 0; j < width; ++j) {
      sum_dy[first + j] = dys[j];
      sum_dy_x_hat[first + j] = dy_x_hats[j];
    }
  });
}

template <class T>
void batchnorm_input_gradient(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma,
                              std::size_t rows, std::size_t features, const double* sum_dy,
                              const double* sum_dy_x_hat, std::size_t total_rows, T* dx) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, std::size_t width) {
    T mean_dy[feature_chunk];
    T mean_dy_x_hat[feature_chunk];
    T factor[feature_chunk];
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t f = first + j;
      mean_dy[j] = static_cast<T>(sum_dy[f] / static_cast<double>(total_rows));
      mean_dy_x_hat[j] = static_cast<T>(sum_dy_x_hat[f] / static_cast<double>(total_rows));
      factor[j] = rstd[f] * (gamma ? gamma[f] : T{1});
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j)
        dx[offset + j] = factor[j] * (dy[offset + j] - mean_dy[j] - x_hat[offset + j] * mean_dy_x_hat[j]);
    }
  });
}

#define BNRUN_INSTANTIATE_BATCHNORM_SPLIT(T)                                                                       \
  template void batchnorm_partial_statistics<T>(const Compute&, const T*, std::size_t, std::size_t, double*,       \
                                                double*);                                                          \
  template void batchnorm_normalize<T>(const Compute&, const T*, std::size_t, std::size_t, const T*, const T*,     \
                                       const T*, const T*, T*, T*);                                                \
  template void batchnorm_partial_gradient_sums<T>(const Compute&, const T*, const T*, std::size_t, std::size_t,  \
                                                   double*, double*);                                              \
  template void batchnorm_input_gradient<T>(const Compute&, const T*, const T*, const T*, const T*, std::size_t,   \
                                            std::size_t, const double*, const double*, std::size_t, T*);
BNRUN_INSTANTIATE_BATCHNORM_SPLIT(float)
BNRUN_INSTANTIATE_BATCHNORM_SPLIT(double)
#undef BNRUN_INSTANTIATE_BATCHNORM_SPLIT

}  // namespace bnrun::kernels
