#include "core/random.h"

#include <cmath>

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
