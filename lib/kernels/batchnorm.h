// Batch normalization kernels over a mini-batch x of shape (rows × features), row-major.
//
// Reference: Ioffe & Szegedy 2015, Algorithm 1; Keras BatchNormalization. Per feature j:
//   mean = Σx / m,  variance = Σ(x − mean)² / m (biased, two passes, double accumulators),
//   rstd = 1 / sqrt(variance + epsilon),  x_hat = (x − mean)·rstd,  y = gamma·x_hat + beta.
// Backward (x_hat and rstd saved by the forward):
//   dbeta = Σdy,  dgamma = Σdy·x_hat,  dx = rstd·gamma·(dy − dbeta/m − x_hat·dgamma/m).
//
// Threading: a thread owns whole features (a contiguous block of columns) and walks every row in order, so each
// feature's sums are taken in the same order whatever the thread count (cf. ggml's norm kernel). The kernels
// never allocate. gamma == nullptr means scale = false (gamma ≡ 1); beta == nullptr means center = false.
#pragma once

#include <cstddef>

#include "kernels/parallel.h"

namespace bnrun::kernels {

template <class T>
struct BatchNormTrainOutputs {
  T* y;         // rows × features
  T* x_hat;     // rows × features, kept for backward
  T* mean;      // features: batch mean
  T* variance;  // features: batch variance (biased)
  T* rstd;      // features: 1/sqrt(variance + epsilon), kept for backward
};

template <class T>
void batchnorm_forward_train(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                             T epsilon, const BatchNormTrainOutputs<T>& out);

// Inference: normalizes with the running statistics. As PyTorch's CPU kernel does, it first folds them into one
// scale and shift per feature so the data pass is one multiply-add per element.
template <class T>
void batchnorm_forward_inference(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* gamma, const T* beta,
                                 const T* running_mean, const T* running_variance, T epsilon, T* y);

// y = x·scale + shift per feature (Batch Renormalization's composed transform of x̂).
template <class T>
void batchnorm_affine(const Compute& compute, const T* x, std::size_t rows, std::size_t features, const T* scale,
                      const T* shift, T* y);

// dgamma / dbeta may be nullptr when the layer has no scale / center.
template <class T>
void batchnorm_backward(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma, std::size_t rows,
                        std::size_t features, T* dx, T* dgamma, T* dbeta);

}  // namespace bnrun::kernels
