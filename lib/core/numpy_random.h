// numpy's legacy generator, np.random.RandomState, as far as scikit-learn's splitters draw from it: seeding,
// permutation and shuffle. bnrun's own randomness is core/random.h; this one exists only so that a split can
// choose exactly the rows scikit-learn's train_test_split(random_state=N) chooses (data/sklearn_split.h).
//
// RandomState(N) is MT19937 seeded by init_genrand(N), the same engine and seeding as std::mt19937(N), so the
// 32-bit words agree. Its shuffle is Fisher–Yates from the back: for i = n−1 … 1, swap item i with item
// random_interval(i), where random_interval(max) masks each word to the smallest all-ones mask ≥ max and redraws
// until the value is ≤ max (64-bit words, high word first, once max needs more than 32 bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace bnrun {

class NumpyRandomState {
 public:
  // numpy accepts seeds in [0, 2^32).
  explicit NumpyRandomState(std::uint32_t seed) : engine_(seed) {}

  // A uniform integer in [0, max], drawn as numpy's random_interval draws it.
  std::uint64_t interval(std::uint64_t max);

  // RandomState.shuffle of a one-dimensional array.
  template <class Item>
  void shuffle(std::vector<Item>& items) {
    for (std::size_t i = items.size(); i-- > 1;) std::swap(items[i], items[static_cast<std::size_t>(interval(i))]);
  }

  // RandomState.permutation(n): 0 … n−1 shuffled.
  std::vector<std::size_t> permutation(std::size_t n);

  // RandomState.permutation(items): a shuffled copy.
  template <class Item>
  std::vector<Item> permutation(std::vector<Item> items) {
    shuffle(items);
    return items;
  }

 private:
  std::mt19937 engine_;
};

}  // namespace bnrun
