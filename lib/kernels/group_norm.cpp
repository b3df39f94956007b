#include "kernels/group_norm.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace bnrun::kernels {

namespace {

// Features whose column sums one thread takes together: the accumulators live on the stack and each row
// contributes a contiguous run, so the row-major data is read sequentially.
constexpr std::size_t feature_chunk = 64;

template <class T>
void normalize_row(const T* x, std::size_t features, std::size_t groups, const T* gamma, const T* beta, T epsilon,
                   T* y, T* x_hat, T* rstd) {
  const std::size_t n = features / groups;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t first = g * n;
    double sum = 0.0;
    for (std::size_t j = first; j < first + n; ++j) sum += x[j];
    const double mean = sum / static_cast<double>(n);
    double squares = 0.0;
    for (std::size_t j = first; j < first + n; ++j) {
      const double centered = x[j] - mean;
      squares += centered * centered;
    }
    const double variance = squares / static_cast<double>(n);
    const auto group_rstd = static_cast<T>(1.0 / std::sqrt(variance + static_cast<double>(epsilon)));
    const auto mean_t = static_cast<T>(mean);
    if (rstd) rstd[g] = group_rstd;
    for (std::size_t j = first; j < first + n; ++j) {
      const T normalized = (x[j] - mean_t) * group_rstd;
      if (x_hat) x_hat[j] = normalized;
      y[j] = (gamma ? gamma[j] : T{1}) * normalized + (beta ? beta[j] : T{0});
    }
  }
}

template <class T>
void input_gradient_row(const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t features,
                        std::size_t groups, T* dx) {
  const std::size_t n = features / groups;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t first = g * n;
    double sum_dx_hat = 0.0;
    double sum_dx_hat_x_hat = 0.0;
    for (std::size_t j = first; j < first + n; ++j) {
      const T dx_hat = dy[j] * (gamma ? gamma[j] : T{1});
      sum_dx_hat += dx_hat;
      sum_dx_hat_x_hat += static_cast<double>(dx_hat) * x_hat[j];
    }
    const auto mean_dx_hat = static_cast<T>(sum_dx_hat / static_cast<double>(n));
    const auto mean_dx_hat_x_hat = static_cast<T>(sum_dx_hat_x_hat / static_cast<double>(n));
    for (std::size_t j = first; j < first + n; ++j) {
      const T dx_hat = dy[j] * (gamma ? gamma[j] : T{1});
      dx[j] = rstd[g] * (dx_hat - mean_dx_hat - x_hat[j] * mean_dx_hat_x_hat);
    }
  }
}

template <class T>
void parameter_gradients(const Compute& compute, const T* dy, const T* x_hat, std::size_t rows, std::size_t features,
                         T* dgamma, T* dbeta) {
  const std::size_t chunks = (features + feature_chunk - 1) / feature_chunk;
  parallel_for_blocks(compute, chunks, 4 * rows * feature_chunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t chunk = begin; chunk < end; ++chunk) {
      const std::size_t first = chunk * feature_chunk;
      const std::size_t width = std::min(feature_chunk, features - first);
      double sum_dy[feature_chunk] = {};
      double sum_dy_x_hat[feature_chunk] = {};
      for (std::size_t i = 0; i < rows; ++i) {
        const std::size_t offset = i * features + first;
        for (std::size_t j = 0; j < width; ++j) {
          sum_dy[j] += dy[offset + j];
          sum_dy_x_hat[j] += static_cast<double>(dy[offset + j]) * x_hat[offset + j];
        }
      }
      for (std::size_t j = 0; j < width; ++j) {
        if (dbeta) dbeta[first + j] = static_cast<T>(sum_dy[j]);
        if (dgamma) dgamma[first + j] = static_cast<T>(sum_dy_x_hat[j]);
      }
    }
  });
}

}  // namespace

template <class T>
void group_norm_forward(const Compute& compute, const T* x, std::size_t rows, std::size_t features,
                        std::size_t groups, const T* gamma, const T* beta, T epsilon, const GroupNormOutputs<T>& out) {
  assert(groups >= 1 && features % groups == 0);
  // Per element: two reading passes and one writing pass, with conversions to double.
  parallel_for_blocks(compute, rows, 12 * features, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      normalize_row(x + i * features, features, groups, gamma, beta, epsilon, out.y + i * features,
                    out.x_hat ? out.x_hat + i * features : nullptr, out.rstd ? out.rstd + i * groups : nullptr);
  });
}

template <class T>
void group_norm_backward(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma,
                         std::size_t rows, std::size_t features, std::size_t groups, T* dx, T* dgamma, T* dbeta) {
  assert(groups >= 1 && features % groups == 0);
  parallel_for_blocks(compute, rows, 10 * features, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      input_gradient_row(dy + i * features, x_hat + i * features, rstd + i * groups, gamma, features, groups,
                         dx + i * features);
  });
  if (dgamma || dbeta) parameter_gradients(compute, dy, x_hat, rows, features, dgamma, dbeta);
}

#define BNRUN_INSTANTIATE_GROUP_NORM(T)                                                                         \
  template void group_norm_forward<T>(const Compute&, const T*, std::size_t, std::size_t, std::size_t, const T*, \
                                      const T*, T, const GroupNormOutputs<T>&);                                 \
  template void group_norm_backward<T>(const Compute&, const T*, const T*, const T*, const T*, std::size_t,      \
                                       std::size_t, std::size_t, T*, T*, T*);
BNRUN_INSTANTIATE_GROUP_NORM(float)
BNRUN_INSTANTIATE_GROUP_NORM(double)
#undef BNRUN_INSTANTIATE_GROUP_NORM

}  // namespace bnrun::kernels
