// Batch normalization over a batch whose rows are split between several processes (synchronized BatchNorm).
//
// Each process holds a slice x of shape (rows × features), row-major, of a batch of `total_rows` rows. The forward
// and backward pass each need per-feature statistics of the whole batch, so each is split in two: a kernel that
// reduces the process's own rows into partial sums (in double), which the caller combines across processes in a
// fixed order, and a kernel that applies the combined statistics to the process's rows. The kernels know nothing
// of processes: with one slice holding the whole batch they compute what kernels/batchnorm.h computes (up to the
// rounding of the combination).
//
// Forward:  partial count m, sum Σx and M2 = Σ(x − Σx/m)² per feature (M2 around the slice's own mean, so that
//           Chan's parallel formula combines slices exactly); then x_hat = (x − mean)·rstd, y = gamma·x_hat + beta.
// Backward: partial Σdy and Σdy·x_hat per feature; then with the batch's sums over total_rows rows
//           dx = rstd·gamma·(dy − Σdy/total_rows − x_hat·Σdy·x_hat/total_rows).
//
// Threading as kernels/batchnorm.h: a thread owns whole features and walks every row in order, so the results do
// not depend on the thread count. A slice of zero rows gives zero sums and writes nothing.
#pragma once

#include <cstddef>

#include "kernels/parallel.h"

namespace bnrun::kernels {

// sum[j] = Σ_i x[i][j], squared_deviations[j] = Σ_i (x[i][j] − sum[j]/rows)², both of length features.
template <class T>
void batchnorm_partial_statistics(const Compute& compute, const T* x, std::size_t rows, std::size_t features,
                                  double* sum, double* squared_deviations);

// x_hat = (x − mean)·rstd and y = gamma·x_hat + beta with the batch's mean and rstd (features each).
// gamma == nullptr: gamma ≡ 1; beta == nullptr: beta ≡ 0.
template <class T>
void batchnorm_normalize(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* mean,
                         const T* rstd, const T* gamma, const T* beta, T* x_hat, T* y);

// sum_dy[j] = Σ_i dy[i][j], sum_dy_x_hat[j] = Σ_i dy[i][j]·x_hat[i][j].
template <class T>
void batchnorm_partial_gradient_sums(const Compute& compute, const T* dy, const T* x_hat, std::size_t rows,
                                     std::size_t features, double* sum_dy, double* sum_dy_x_hat);

// dx from the batch's sums (over all total_rows rows, every process's).
template <class T>
void batchnorm_input_gradient(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma,
                              std::size_t rows, std::size_t features, const double* sum_dy,
                              const double* sum_dy_x_hat, std::size_t total_rows, T* dx);

}  // namespace bnrun::kernels
