// Copies chosen rows of a row-major matrix into a contiguous batch (the mini-batch of an epoch's shuffled
// order). Parallel over rows: at 784 features a batch is hundreds of kilobytes, worth both cores' bandwidth.
#pragma once

#include <cstddef>

#include "kernels/parallel.h"

namespace bnrun::kernels {

// destination row i = source row rows[i], for i < count; each row has `width` values.
template <class T>
void gather_rows(const Compute& compute, const T* source, const std::size_t* rows, std::size_t count, std::size_t width, T* destination);

}  // namespace bnrun::kernels
