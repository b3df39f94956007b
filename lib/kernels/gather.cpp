#include "kernels/gather.h"

#include <algorithm>

#include "kernels/parallel.h"

namespace bnrun::kernels {

template <class T>
void gather_rows(const Compute& compute, const T* source, const std::size_t* rows, std::size_t count, std::size_t width, T* destination) {
  parallel_for_blocks(compute, count, width, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) std::copy_n(source + rows[i] * width, width, destination + i * width);
  });
}

template void gather_rows<float>(const Compute&, const float*, const std::size_t*, std::size_t, std::size_t, float*);
template void gather_rows<double>(const Compute&, const double*, const std::size_t*, std::size_t, std::size_t, double*);

}  // namespace bnrun::kernels
