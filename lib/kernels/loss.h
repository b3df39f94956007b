// Losses fused with their output nonlinearity, over logits (the last layer's pre-activation).
//
// Fusing is what makes them stable: softmax cross-entropy is computed as logsumexp(z) − z_label, binary
// cross-entropy as max(z, 0) − z·y + log(1 + exp(−|z|)); neither ever takes the log of a rounded probability.
// Both return the MEAN loss over the rows (summed in double, in row order) and, when `dlogits` is not null,
// write the gradient of that mean: (p − onehot) / rows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bnrun::kernels {

// logits (rows × classes), labels in [0, classes).
template <class T>
double softmax_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, std::size_t classes,
                             T* dlogits);

// logits (rows × 1), labels in {0, 1}.
template <class T>
double sigmoid_binary_cross_entropy(const T* logits, const std::int32_t* labels, std::size_t rows, T* dlogits);

}  // namespace bnrun::kernels
