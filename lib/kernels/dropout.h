// Inverted dropout kernels over n elements (Srivastava et al. 2014; PyTorch's nn.Dropout, Keras' Dropout).
//
// The mask holds, per element, 0 (dropped) or 1/(1 − rate) (kept, with probability 1 − rate), so that the
// expected output equals the input and evaluation needs no rescaling. Forward: y = x·mask. Backward: dx = dy·mask.
//
// The mask is drawn from one random stream, element by element in row-major order. Drawing it and applying it are
// split into blocks of elements, each computed by one thread; a block draws its part of the stream after jumping
// to it (Random::advance), so the mask is the same for any thread count.
#pragma once

#include <cstddef>

#include "core/random.h"
#include "kernels/parallel.h"

namespace bnrun::kernels {

// Fills mask[0, n) from `random` (element k is dropped when the k-th uniform() is below rate); leaves `random`
// exactly n numbers further on. Requires 0 ≤ rate < 1.
template <class T>
void dropout_mask(const Compute& compute, Random& random, double rate, std::size_t n, T* mask);

// y = x·mask, elementwise (also the backward: dx = dy·mask). y may be x.
template <class T>
void dropout_apply(const Compute& compute, const T* x, const T* mask, std::size_t n, T* y);

}  // namespace bnrun::kernels
