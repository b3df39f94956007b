// The dropout mask kernel pinned against its definition: element k is dropped when the k-th uniform() of the
// stream is below the rate, for any thread count and at every CPU level.
#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "core/random.h"
#include "kernels/dropout.h"
#include "kernels/parallel.h"

using bnrun::Random;

namespace {

template <class T>
std::vector<T> mask_by_definition(Random random, double rate, std::size_t n) {
  const auto kept = static_cast<T>(1.0 / (1.0 - rate));
  std::vector<T> mask(n);
  for (auto& m : mask) m = random.uniform() < rate ? T{0} : kept;
  return mask;
}

}  // namespace

TEST_CASE("the dropout mask is one uniform() < rate per element in order, for 1, 2 and 3 threads",
          "[norms][kernels][levels]") {
  // 1,000 elements are several blocks of drawn numbers with a ragged end; rates at both ends of the range too.
  for (const double rate : {0.0, 0.1, 0.5, 0.9, 1.0 - 0x1.0p-53}) {
    for (const int threads : {1, 2, 3}) {
      INFO("rate " << rate << ", threads " << threads);
      bnrun::kernels::Compute compute = bnrun::kernels::compute_with_threads(threads);
      compute.minimum_parallel_work = 1;  // split even this small mask
      Random random = Random::stream(7, "dropout mask", 2);
      Random after = random;
      after.advance(1000);
      std::vector<float> mask(1000);
      bnrun::kernels::dropout_mask(compute, random, rate, mask.size(), mask.data());
      CHECK(mask == mask_by_definition<float>(Random::stream(7, "dropout mask", 2), rate, 1000));
      CHECK(random.next() == after.next());  // exactly n numbers drawn
      std::vector<double> mask_double(1000);
      random = Random::stream(7, "dropout mask", 2);
      bnrun::kernels::dropout_mask(compute, random, rate, mask_double.size(), mask_double.data());
      CHECK(mask_double == mask_by_definition<double>(Random::stream(7, "dropout mask", 2), rate, 1000));
    }
  }
}
