#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/feature_chunks.h"
#include "kernels/levels.h"
#include "kernels/parallel.h"

namespace bnrun::kernels {

namespace {

// Per element: up to three passes, with conversions to and from double.
constexpr std::size_t cost_per_element = 16;

// Each kernel's work on one chunk of features [first, first + width), compiled per level (kernels/levels.h).
// Every sum runs over rows within one feature, never across features, so the vector width cannot change it.

template <class T>
struct ForwardTrainChunk {
  template <class Width>
  BNRUN_ALWAYS_INLINE static void run(const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                                      T epsilon, const BatchNormTrainOutputs<T>& out, std::size_t first, Width width) {
    double sum[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = x + i * features + first;
      for (std::size_t j = 0; j < width; ++j) sum[j] += row[j];
    }
    double mean[feature_chunk];
    for (std::size_t j = 0; j < width; ++j) mean[j] = sum[j] / static_cast<double>(rows);

    double squares[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = x + i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        const double centered = row[j] - mean[j];
        squares[j] += centered * centered;
      }
    }
    T rstd[feature_chunk];
    T scale[feature_chunk];
    T shift[feature_chunk];
    T mean_t[feature_chunk];
    for (std::size_t j = 0; j < width; ++j) {
      const double variance = squares[j] / static_cast<double>(rows);
      rstd[j] = static_cast<T>(1.0 / std::sqrt(variance + static_cast<double>(epsilon)));
      mean_t[j] = static_cast<T>(mean[j]);
      scale[j] = gamma ? gamma[first + j] : T{1};
      shift[j] = beta ? beta[first + j] : T{0};
      out.mean[first + j] = mean_t[j];
      out.variance[first + j] = static_cast<T>(variance);
      out.rstd[first + j] = rstd[j];
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        const T normalized = (x[offset + j] - mean_t[j]) * rstd[j];
        out.x_hat[offset + j] = normalized;
        out.y[offset + j] = scale[j] * normalized + shift[j];
      }
    }
  }
};

template <class T>
struct ForwardInferenceChunk {
  template <class Width>
  BNRUN_ALWAYS_INLINE static void run(const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                                      const T* running_mean, const T* running_variance, T epsilon, T* y,
                                      std::size_t first, Width width) {
    T scale[feature_chunk];
    T shift[feature_chunk];
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t f = first + j;
      const double rstd = 1.0 / std::sqrt(static_cast<double>(running_variance[f]) + static_cast<double>(epsilon));
      const double g = gamma ? static_cast<double>(gamma[f]) : 1.0;
      const double b = beta ? static_cast<double>(beta[f]) : 0.0;
      scale[j] = static_cast<T>(g * rstd);
      shift[j] = static_cast<T>(b - static_cast<double>(running_mean[f]) * g * rstd);
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) y[offset + j] = x[offset + j] * scale[j] + shift[j];
    }
  }
};

template <class T>
struct AffineChunk {
  template <class Width>
  BNRUN_ALWAYS_INLINE static void run(const T* x, std::size_t rows, std::size_t features, const T* scale,
                                      const T* shift, T* y, std::size_t first, Width width) {
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) y[offset + j] = x[offset + j] * scale[first + j] + shift[first + j];
    }
  }
};

template <class T>
struct BackwardChunk {
  template <class Width>
  BNRUN_ALWAYS_INLINE static void run(const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t rows,
                                      std::size_t features, T* dx, T* dgamma, T* dbeta, std::size_t first,
                                      Width width) {
    double sum_dy[feature_chunk] = {};
    double sum_dy_x_hat[feature_chunk] = {};
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j) {
        sum_dy[j] += dy[offset + j];
        sum_dy_x_hat[j] += static_cast<double>(dy[offset + j]) * x_hat[offset + j];
      }
    }
    T mean_dy[feature_chunk];
    T mean_dy_x_hat[feature_chunk];
    T factor[feature_chunk];
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t f = first + j;
      if (dbeta) dbeta[f] = static_cast<T>(sum_dy[j]);
      if (dgamma) dgamma[f] = static_cast<T>(sum_dy_x_hat[j]);
      mean_dy[j] = static_cast<T>(sum_dy[j] / static_cast<double>(rows));
      mean_dy_x_hat[j] = static_cast<T>(sum_dy_x_hat[j] / static_cast<double>(rows));
      factor[j] = rstd[f] * (gamma ? gamma[f] : T{1});
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t offset = i * features + first;
      for (std::size_t j = 0; j < width; ++j)
        dx[offset + j] = factor[j] * (dy[offset + j] - mean_dy[j] - x_hat[offset + j] * mean_dy_x_hat[j]);
    }
  }
};

}  // namespace

template <class T>
void batchnorm_forward_train(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                             T epsilon, const BatchNormTrainOutputs<T>& out) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, auto width) {
    run_at_active_level<ForwardTrainChunk<T>>(x, rows, features, gamma, beta, epsilon, out, first, width);
  });
}

template <class T>
void batchnorm_forward_inference(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                                 const T* running_mean, const T* running_variance, T epsilon, T* y) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, auto width) {
    run_at_active_level<ForwardInferenceChunk<T>>(x, rows, features, gamma, beta, running_mean, running_variance,
                                                  epsilon, y, first, width);
  });
}

template <class T>
void batchnorm_affine(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* scale,
                      const T* shift, T* y) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, auto width) {
    run_at_active_level<AffineChunk<T>>(x, rows, features, scale, shift, y, first, width);
  });
}

template <class T>
void batchnorm_backward(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t rows,
                        std::size_t features, T* dx, T* dgamma, T* dbeta) {
  for_each_feature_chunk(compute, rows, features, cost_per_element, [&](std::size_t first, auto width) {
    run_at_active_level<BackwardChunk<T>>(dy, x_hat, rstd, gamma, rows, features, dx, dgamma, dbeta, first, width);
  });
}

#define BNRUN_INSTANTIATE_BATCHNORM(T)                                                                           \
  template void batchnorm_forward_train<T>(const Compute&, const T*, std::size_t, std::size_t, const T*, const T*, T,            \
                                           const BatchNormTrainOutputs<T>&);                                     \
  template void batchnorm_forward_inference<T>(const Compute&, const T*, std::size_t, std::size_t, const T*, const T*, const T*, \
                                               const T*, T, T*);                                                 \
  template void batchnorm_affine<T>(const Compute&, const T*, std::size_t, std::size_t, const T*, const T*, T*); \
  template void batchnorm_backward<T>(const Compute&, const T*, const T*, const T*, const T*, std::size_t, std::size_t, T*, T*, T*);
BNRUN_INSTANTIATE_BATCHNORM(float)
BNRUN_INSTANTIATE_BATCHNORM(double)
#undef BNRUN_INSTANTIATE_BATCHNORM

}  // namespace bnrun::kernels
