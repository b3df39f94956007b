#include "core/random.h"

#include <array>
#include <cmath>
#include <memory>

namespace bnrun {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotate_left(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// FNV-1a: a fixed, portable hash for the purpose names (std::hash is not portable).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// xoshiro256**'s state update (next() without its output) is linear over GF(2): each bit of the new state is the
// XOR of some bits of the old. So `steps` updates are one 256 × 256 bit matrix, and advancing by any count is the
// product of the matrices of its binary digits, each 2^p updates, precomputed by squaring.
using State = std::array<std::uint64_t, 4>;

// A linear map of states, as the images of the 256 one-bit states.
struct Transition {
  std::array<State, 256> columns;

  State operator()(const State& s) const {
    State image{};
    // Without a branch: half the bits are set, at random, so a branch would be mispredicted half the time.
    for (std::size_t bit = 0; bit < 256; ++bit) {
      const std::uint64_t take = std::uint64_t{0} - ((s[bit / 64] >> (bit % 64)) & 1);
      for (std::size_t w = 0; w < 4; ++w) image[w] ^= columns[bit][w] & take;
    }
    return image;
  }
};

}  // namespace

Random::Random(std::uint64_t seed) {
  std::uint64_t mixer = seed;
  for (auto& word : state_) word = splitmix64(mixer);
}

Random Random::stream(std::uint64_t seed, std::string_view purpose, std::uint64_t index) {
  std::uint64_t mixer = seed;
  const std::uint64_t a = splitmix64(mixer);
  mixer = a ^ fnv1a(purpose);
  const std::uint64_t b = splitmix64(mixer);
  mixer = b ^ (index * 0xd1b54a32d192ed03ULL);
  return Random(splitmix64(mixer));
}

std::uint64_t Random::next() {
  const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

void Random::next_words(std::uint64_t* words, std::size_t n) {
  Random local = *this;  // a copy whose state the compiler keeps in registers across the loop
  for (std::size_t k = 0; k < n; ++k) words[k] = local.next();
  *this = local;
}

// powers()[p] advances by 2^p updates: powers()[0] holds one update of each one-bit state (the update is linear,
// so that is the bit's column), each next power is the square of the one before.
struct RandomJumps {
  static const std::array<Transition, 64>& powers();
};

const std::array<Transition, 64>& RandomJumps::powers() {
  static const auto powers = [] {
    auto table = std::make_unique<std::array<Transition, 64>>();
    for (std::size_t bit = 0; bit < 256; ++bit) {
      Random one_bit(0);
      for (std::size_t w = 0; w < 4; ++w) one_bit.state_[w] = w == bit / 64 ? std::uint64_t{1} << (bit % 64) : 0;
      one_bit.next();
      for (std::size_t w = 0; w < 4; ++w) (*table)[0].columns[bit][w] = one_bit.state_[w];
    }
    for (std::size_t p = 1; p < 64; ++p)
      for (std::size_t bit = 0; bit < 256; ++bit)
        (*table)[p].columns[bit] = (*table)[p - 1]((*table)[p - 1].columns[bit]);
    return table;
  }();
  return *powers;
}

void Random::advance(std::uint64_t steps) {
  if (steps == 0) return;
  const auto& powers = RandomJumps::powers();
  State state{state_[0], state_[1], state_[2], state_[3]};
  for (std::size_t p = 0; p < 64; ++p)
    if ((steps >> p) & 1) state = powers[p](state);
  for (std::size_t w = 0; w < 4; ++w) state_[w] = state[w];
}

double Random::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Random::uniform(double low, double high) {
  return low + (high - low) * uniform();
}

double Random::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u = 0.0;
  double v = 0.0;
  double s = 0.0;
  do {
    u = uniform(-1.0, 1.0);
    v = uniform(-1.0, 1.0);
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_normal_ = true;
  return u * factor;
}

double Random::truncated_normal() {
  for (;;) {
    const double value = normal();
    if (std::abs(value) <= 2.0) return value;
  }
}

std::size_t Random::below(std::size_t bound) {
  // Lemire's nearly-divisionless method would be faster; rejection keeps it obviously unbiased.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    const std::uint64_t value = next();
    if (value < limit) return static_cast<std::size_t>(value % bound);
  }
}

}  // namespace bnrun
