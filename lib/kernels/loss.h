// Losses fused with their output nonlinearity, over logits (the last layer's pre-activation).
//
// Fusing is what makes them stable: softmax cross-entropy is computed as logsumexp(z) − z_label, binary
// cross-entropy as max(z, 0) − z·y + log(1 + exp(−|z|)); neither ever takes the log of a rounded probability.
// Both return the MEAN loss over the rows (summed in double, in row order) and, when `dlogits` is not null,
// write the gradient of that mean: (p − onehot) / rows.
//
// With `class_weights` (one per class, by label; two for the sigmoid: label 0, label 1), row i's term is
// multiplied by w_i = class_weights[label_i] and the mean is weighted: sum w_i·l_i / sum w_i, with gradient
// w_i·(p − onehot) / sum w_i — PyTorch's CrossEntropyLoss(weight=...) with reduction "mean". Null: every
// weight 1, the plain mean.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bnrun::kernels {

// logits (rows × classes), labels in [0, classes).
template <class T>
double softmax_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, std::size_t classes,
                             T* dlogits, const double* class_weights = nullptr);

// logits (rows × 1), labels in {0, 1}.
template <class T>
double sigmoid_binary_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, T* dlogits,
                                    const double* class_weights = nullptr);

// Regression losses over a one-unit linear output: outputs and targets (rows × 1), r = output − target.
//   mse:   r²                                     gradient 2r / rows          (Keras' MeanSquaredError)
//   mae:   |r|                                    gradient sign(r) / rows, 0 at r = 0 (MeanAbsoluteError)
//   huber: r²/2 when |r| ≤ δ, else δ·(|r| − δ/2)   gradient clamp(r, −δ, δ) / rows   (Huber(delta=δ))
// The mean over the rows, summed in double in row order.
enum class RegressionLoss { mse, mae, huber };
template <class T>
double regression_loss(RegressionLoss loss, const T* outputs, const T* targets, std::size_t rows, T* doutputs,
                       double huber_delta = 1.0);

// sum of class_weights[labels[i]] over the rows, in row order; `rows` when class_weights is null.
double label_weight_sum(const std::int32_t* labels, std::size_t rows, const double* class_weights);

}  // namespace bnrun::kernels
