#include "kernels/dropout.h"

namespace bnrun::kernels {

template <class T>
void dropout_mask(Random& random, double rate, std::size_t n, T* mask) {
  const auto kept = static_cast<T>(1.0 / (1.0 - rate));
  for (std::size_t k = 0; k < n; ++k) mask[k] = random.uniform() < rate ? T{0} : kept;
}

template <class T>
void dropout_apply(const Compute& compute, const T* x, const T* mask, std::size_t n, T* y) {
  parallel_for_blocks(compute, n, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) y[k] = x[k] * mask[k];
  });
}

template void dropout_mask<float>(Random&, double, std::size_t, float*);
template void dropout_mask<double>(Random&, double, std::size_t, double*);
template void dropout_apply<float>(const Compute&, const float*, const float*, std::size_t, float*);
template void dropout_apply<double>(const Compute&, const double*, const double*, std::size_t, double*);

}  // namespace bnrun::kernels
