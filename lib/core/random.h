// Seeded randomness that is the same on every platform and standard library.
//
// std::uniform_real_distribution and std::normal_distribution are implementation-defined, so bnrun draws its
// own numbers from xoshiro256** (seeded through splitmix64). One user seed drives everything; each purpose
// (weights of Dense layer 2, the split, the epoch shuffle) gets its own stream derived from (seed, purpose,
// index), so removing a BatchNorm layer or adding a validation split never shifts another stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bnrun {

class Random {
 public:
  explicit Random(std::uint64_t seed);
  // An independent stream for one purpose, e.g. stream(seed, "dense", 2).
  static Random stream(std::uint64_t seed, std::string_view purpose, std::uint64_t index = 0);

  std::uint64_t next();
  // words[0, n) = the next n values of next(), in order: the same numbers as n calls, without a call each.
  void next_words(std::uint64_t* words, std::size_t n);
  // Skips the next `steps` values of next() in a microsecond or so, whatever `steps` is, so that blocks of one
  // stream can be drawn on different threads. The first call in a process builds a 512 KB table (a few ms).
  void advance(std::uint64_t steps);
  double uniform();  // [0, 1)
  double uniform(double low, double high);
  double normal();                       // standard normal (Marsaglia polar method)
  double truncated_normal();             // standard normal redrawn outside ±2, as Keras' truncated initializers
  std::size_t below(std::size_t bound);  // uniform integer in [0, bound), unbiased

  // Fisher–Yates, so a permutation depends only on the stream, never on the library.
  template <class Item>
  void shuffle(std::vector<Item>& items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      const std::size_t j = below(i);
      std::swap(items[i - 1], items[j]);
    }
  }

 private:
  friend struct RandomJumps;  // random.cpp: advance()'s table, built by stepping one-bit states

  std::uint64_t state_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace bnrun
