#include "kernels/group_norm.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <type_traits>

#include "kernels/levels.h"

namespace bnrun::kernels {

namespace {

// Features whose column sums one thread takes together: the accumulators live on the stack and each row
// contributes a contiguous run, so the row-major data is read sequentially.
constexpr std::size_t feature_chunk = 64;

// Rows normalized together by one thread. A group's sum is a chain of dependent double additions in feature order
// (the order that makes it the same on every thread count and CPU level); one row at a time, each addition waits
// for the one before. Eight rows side by side are eight independent chains, each still summed in feature order (so
// the same bits), which the compiler runs as the lanes of vectors: LayerNorm's forward and backward on Fashion-MNIST's
// batches took less than half the time. (4 and 16 rows were slower; so were 8 × 8 tiles transposed in registers.)
constexpr std::size_t rows_together = 8;

// sum[r] += x[r·stride + j] for j = first, …, last − 1 in turn.
template <class T, std::size_t Rows>
BNRUN_ALWAYS_INLINE void add_row_sums(const T* x, std::size_t stride, std::size_t first, std::size_t last,
                                      double (&sum)[Rows]) {
  for (std::size_t j = first; j < last; ++j)
    for (std::size_t r = 0; r < Rows; ++r) sum[r] += x[r * stride + j];
}

// squares[r] += (x[r·stride + j] − mean[r])² for j = first, …, last − 1 in turn.
template <class T, std::size_t Rows>
BNRUN_ALWAYS_INLINE void add_row_squares(const T* x, std::size_t stride, std::size_t first, std::size_t last,
                                         const double (&mean)[Rows], double (&squares)[Rows]) {
  for (std::size_t j = first; j < last; ++j)
    for (std::size_t r = 0; r < Rows; ++r) {
      const double centered = x[r * stride + j] - mean[r];
      squares[r] += centered * centered;
    }
}

// With dx_hat = dy·gamma (in T, as the kernel's formula), sum_dx_hat[r] += dx_hat and
// sum_dx_hat_x_hat[r] += dx_hat·x_hat (in double) for j = first, …, last − 1 in turn.
template <class T, std::size_t Rows>
BNRUN_ALWAYS_INLINE void add_row_gradient_sums(const T* dy, const T* x_hat, const T* gamma, std::size_t stride,
                                               std::size_t first, std::size_t last, double (&sum_dx_hat)[Rows],
                                               double (&sum_dx_hat_x_hat)[Rows]) {
  for (std::size_t j = first; j < last; ++j)
    for (std::size_t r = 0; r < Rows; ++r) {
      const T dx_hat = dy[r * stride + j] * (gamma ? gamma[j] : T{1});
      sum_dx_hat[r] += dx_hat;
      sum_dx_hat_x_hat[r] += static_cast<double>(dx_hat) * x_hat[r * stride + j];
    }
}

// The forward of `Rows` consecutive rows (x, y, x_hat start at the first; rows `features` apart), compiled per
// level (kernels/levels.h).
template <class T, std::size_t Rows>
struct NormalizeRows {
  BNRUN_ALWAYS_INLINE static void run(const T* x, std::size_t features, std::size_t groups, const T* gamma,
                                      const T* beta, T epsilon, T* y, T* x_hat, T* rstd) {
    const std::size_t n = features / groups;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t first = g * n;
      double sum[Rows] = {};
      add_row_sums(x, features, first, first + n, sum);
      double mean[Rows];
      for (std::size_t r = 0; r < Rows; ++r) mean[r] = sum[r] / static_cast<double>(n);
      double squares[Rows] = {};
      add_row_squares(x, features, first, first + n, mean, squares);
      for (std::size_t r = 0; r < Rows; ++r) {
        const double variance = squares[r] / static_cast<double>(n);
        const auto row_rstd = static_cast<T>(1.0 / std::sqrt(variance + static_cast<double>(epsilon)));
        const auto mean_t = static_cast<T>(mean[r]);
        if (rstd) rstd[r * groups + g] = row_rstd;
        const T* row = x + r * features;
        T* row_y = y + r * features;
        if (x_hat) {
          T* row_x_hat = x_hat + r * features;
          for (std::size_t j = first; j < first + n; ++j) {
            const T normalized = (row[j] - mean_t) * row_rstd;
            row_x_hat[j] = normalized;
            row_y[j] = (gamma ? gamma[j] : T{1}) * normalized + (beta ? beta[j] : T{0});
          }
        } else {
          for (std::size_t j = first; j < first + n; ++j) {
            const T normalized = (row[j] - mean_t) * row_rstd;
            row_y[j] = (gamma ? gamma[j] : T{1}) * normalized + (beta ? beta[j] : T{0});
          }
        }
      }
    }
  }
};

// dx of `Rows` consecutive rows, as NormalizeRows.
template <class T, std::size_t Rows>
struct InputGradientRows {
  BNRUN_ALWAYS_INLINE static void run(const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t features,
                                      std::size_t groups, T* dx) {
    const std::size_t n = features / groups;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t first = g * n;
      double sum_dx_hat[Rows] = {};
      double sum_dx_hat_x_hat[Rows] = {};
      add_row_gradient_sums(dy, x_hat, gamma, features, first, first + n, sum_dx_hat, sum_dx_hat_x_hat);
      for (std::size_t r = 0; r < Rows; ++r) {
        const auto mean_dx_hat = static_cast<T>(sum_dx_hat[r] / static_cast<double>(n));
        const auto mean_dx_hat_x_hat = static_cast<T>(sum_dx_hat_x_hat[r] / static_cast<double>(n));
        const T row_rstd = rstd[r * groups + g];
        const T* row_dy = dy + r * features;
        const T* row_x_hat = x_hat + r * features;
        T* row_dx = dx + r * features;
        for (std::size_t j = first; j < first + n; ++j) {
          const T dx_hat = row_dy[j] * (gamma ? gamma[j] : T{1});
          row_dx[j] = row_rstd * (dx_hat - mean_dx_hat - row_x_hat[j] * mean_dx_hat_x_hat);
        }
      }
    }
  }
};

// Rows [begin, end) of the forward: rows_together at a time, then the rest one by one.
template <class T>
struct ForwardRows {
  BNRUN_ALWAYS_INLINE static void run(const T* x, std::size_t features, std::size_t groups, const T* gamma,
                                      const T* beta, T epsilon, const GroupNormOutputs<T>& out, std::size_t begin,
                                      std::size_t end) {
    std::size_t i = begin;
    for (; i + rows_together <= end; i += rows_together)
      NormalizeRows<T, rows_together>::run(x + i * features, features, groups, gamma, beta, epsilon,
                                           out.y + i * features, out.x_hat ? out.x_hat + i * features : nullptr,
                                           out.rstd ? out.rstd + i * groups : nullptr);
    for (; i < end; ++i)
      NormalizeRows<T, 1>::run(x + i * features, features, groups, gamma, beta, epsilon, out.y + i * features,
                               out.x_hat ? out.x_hat + i * features : nullptr,
                               out.rstd ? out.rstd + i * groups : nullptr);
  }
};

template <class T>
struct BackwardRows {
  BNRUN_ALWAYS_INLINE static void run(const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t features,
                                      std::size_t groups, T* dx, std::size_t begin, std::size_t end) {
    std::size_t i = begin;
    for (; i + rows_together <= end; i += rows_together)
      InputGradientRows<T, rows_together>::run(dy + i * features, x_hat + i * features, rstd + i * groups, gamma,
                                               features, groups, dx + i * features);
    for (; i < end; ++i)
      InputGradientRows<T, 1>::run(dy + i * features, x_hat + i * features, rstd + i * groups, gamma, features, groups,
                                   dx + i * features);
  }
};

// dgamma and dbeta of the features [first, first + width), each summed over the rows in order (compiled per level;
// a full chunk's width is a compile-time constant, so the inner loops unroll and keep the sums in registers, as in
// kernels/batchnorm.cpp).
template <class T>
struct ParameterGradientChunk {
  template <class Width>
  BNRUN_ALWAYS_INLINE static void run(const T* dy, const T* x_hat, std::size_t rows, std::size_t features, T* dgamma,
                                      T* dbeta, std::size_t first, Width width) {
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
};

template <class T>
void parameter_gradients(const Compute& compute, const T* dy, const T* x_hat, std::size_t rows, std::size_t features,
                         T* dgamma, T* dbeta) {
  const std::size_t chunks = (features + feature_chunk - 1) / feature_chunk;
  parallel_for_blocks(compute, chunks, 4 * rows * feature_chunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t chunk = begin; chunk < end; ++chunk) {
      const std::size_t first = chunk * feature_chunk;
      const std::size_t width = std::min(feature_chunk, features - first);
      if (width == feature_chunk)
        run_at_active_level<ParameterGradientChunk<T>>(dy, x_hat, rows, features, dgamma, dbeta, first,
                                                       std::integral_constant<std::size_t, feature_chunk>{});
      else
        run_at_active_level<ParameterGradientChunk<T>>(dy, x_hat, rows, features, dgamma, dbeta, first, width);
    }
  });
}

}  // namespace

template <class T>
void group_norm_forward(const Compute& compute, const T* x, std::size_t rows, std::size_t features,
                        std::size_t groups, const T* gamma, const T* beta, T epsilon, const GroupNormOutputs<T>& out) {
  assert(groups >= 1 && features % groups == 0);
  // Per element: two reading passes and one writing pass, with conversions to double (counted as BatchNorm's
  // kernels count them, so that the two split a batch alike).
  parallel_for_blocks(compute, rows, 16 * features, [&](std::size_t begin, std::size_t end) {
    run_at_active_level<ForwardRows<T>>(x, features, groups, gamma, beta, epsilon, out, begin, end);
  });
}

template <class T>
void group_norm_backward(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma,
                         std::size_t rows, std::size_t features, std::size_t groups, T* dx, T* dgamma, T* dbeta) {
  assert(groups >= 1 && features % groups == 0);
  parallel_for_blocks(compute, rows, 16 * features, [&](std::size_t begin, std::size_t end) {
    run_at_active_level<BackwardRows<T>>(dy, x_hat, rstd, gamma, features, groups, dx, begin, end);
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
