// Group normalization kernels over x of shape (rows × features), row-major; layer normalization is one group.
//
// Reference: Wu & He 2018 (Group Normalization), Ba, Kiros & Hinton 2016 (Layer Normalization); PyTorch's
// nn.GroupNorm(groups, features) on a (rows × features) input and nn.LayerNorm(features). The features of a row
// are split into `groups` contiguous groups of n = features / groups. Per row i and group g:
//   mean = Σx / n,  variance = Σ(x − mean)² / n (biased, two passes, double accumulators),
//   rstd = 1 / sqrt(variance + epsilon),  x_hat = (x − mean)·rstd,  y = gamma·x_hat + beta (gamma, beta per feature).
// Backward (x_hat and rstd saved by the forward), with dx_hat = dy·gamma:
//   dx = rstd/n · (n·dx_hat − Σdx_hat − x_hat·Σ(dx_hat·x_hat))   (sums over the row's group)
//   dbeta_j = Σ_i dy_ij,  dgamma_j = Σ_i dy_ij·x_hat_ij          (sums over rows)
//
// Threading: the normalization and dx are split by rows (a thread owns whole rows, so each group's sums run in
// one thread in feature order); dgamma and dbeta are a second pass split by features (a thread owns whole
// features and sums the rows in order), so the result is the same for any thread count. The kernels never
// allocate. gamma == nullptr means scale = false (gamma ≡ 1); beta == nullptr means center = false.
// Requires features % groups == 0 and groups ≥ 1.
#pragma once

#include <cstddef>

#include "kernels/parallel.h"

namespace bnrun::kernels {

template <class T>
struct GroupNormOutputs {
  T* y;      // rows × features
  T* x_hat;  // rows × features, kept for backward; nullptr when not needed (inference)
  T* rstd;   // rows × groups, kept for backward; nullptr when not needed (inference)
};

template <class T>
void group_norm_forward(const Compute& compute, const T* x, std::size_t rows, std::size_t features,
                        std::size_t groups, const T* gamma, const T* beta, T epsilon, const GroupNormOutputs<T>& out);

// dgamma / dbeta may be nullptr when the layer has no scale / center.
template <class T>
void group_norm_backward(const Compute& compute, const T* dy, const T* x_hat, const T* rstd, const T* gamma,
                         std::size_t rows, std::size_t features, std::size_t groups, T* dx, T* dgamma, T* dbeta);

}  // namespace bnrun::kernels
