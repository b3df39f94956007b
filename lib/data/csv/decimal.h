// A number cell as std::from_chars reads it, significand × 10^exponent with a sign, and the float it stands
// for: what the fast cell readers of every level (swar.h, numbers.cpp, numbers_avx2.h) share once they have
// taken a cell apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "data/csv/nearest_float.h"

namespace bnrun::data::csv {

inline constexpr int kMaxSignificantDigits = 19;  // 10^19 < 2^64: the significand stays exact in 64 bits

inline constexpr std::array<std::uint64_t, 20> kIntegerPowersOfTen = {1,
                                                                      10,
                                                                      100,
                                                                      1000,
                                                                      10000,
                                                                      100000,
                                                                      1000000,
                                                                      10000000,
                                                                      100000000,
                                                                      1000000000,
                                                                      10000000000,
                                                                      100000000000,
                                                                      1000000000000,
                                                                      10000000000000,
                                                                      100000000000000,
                                                                      1000000000000000,
                                                                      10000000000000000,
                                                                      100000000000000000,
                                                                      1000000000000000000,
                                                                      10000000000000000000u};

// The powers of ten a decimal may be divided by and still round to the nearest float (see decimal_to_float):
// exact in a double.
inline constexpr std::array<double, 9> kExactPowersOfTen = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};

struct Decimal {
  bool negative = false;
  std::uint64_t significand = 0;
  std::int64_t exponent = 0;
};

// `magnitude` with the sign: a multiplication by ±1, exact ("-0" is -0.0), where a choice between x and -x would
// be a branch that mispredicts on cells of random sign.
inline float with_sign(float magnitude, bool negative) {
  static constexpr float kSigns[] = {1.0f, -1.0f};
  return magnitude * kSigns[negative];
}

// The float nearest to `number`, as from_chars gives it; false if this cannot tell and from_chars must.
inline bool decimal_to_float(const Decimal& number, float& value) {
  if (number.significand == 0) {
    value = with_sign(0.0f, number.negative);
    return true;
  }
  // A significand exact in a double divided by an exact power of ten up to 10^8 is one correctly rounded
  // division, and rounding that double to a float gives the float nearest to the decimal: a float's halfway
  // point differs from such a quotient by at least 2^-j / 10^8 (it is h / 2^j with h odd, below 2^25), which is
  // more than the double's rounding error there, 2^-29 / 2^j, so the double never lands on one.
  if (number.significand <= std::uint64_t{1} << 53 && number.exponent <= 0 && number.exponent >= -8) {
    const double magnitude =
        static_cast<double>(number.significand) / kExactPowersOfTen[static_cast<std::size_t>(-number.exponent)];
    value = with_sign(static_cast<float>(magnitude), number.negative);
    return true;
  }
  return nearest_float(number.significand, number.exponent, number.negative, value);
}

}  // namespace bnrun::data::csv
