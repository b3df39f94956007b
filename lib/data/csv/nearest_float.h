// The float nearest to a decimal w × 10^q, exactly, without going through a double.
//
// Rounding the decimal to a double and the double to a float rounds twice, and the second rounding can go the
// wrong way: "3.4028235677973366e38" is just below the halfway point between FLT_MAX and 2^128, so the float
// nearest to it is FLT_MAX, but the double nearest to it is that halfway point, which then rounds (to even)
// up to infinity. A cell of 17 significant digits (printf's "%.17g") is close enough to a halfway point to hit
// this now and then. The method here rounds once.
//
// It is the Eisel–Lemire method (D. Lemire, "Number Parsing at a Gigabyte per Second", 2021) for binary32:
// w is multiplied by a 128-bit approximation of 10^q, the top 24 bits of the product are the float's
// significand, and the bits below decide the rounding. For q >= 0 the approximation is 10^q itself, so the
// product is exact and so is the rounding, halfway cases included. For q < 0 it is 10^q truncated, so the true
// product lies a little above the computed one, and when the bits below the significand are within that
// distance of the halfway point the method gives up rather than guess. It also gives up on results that are
// subnormal or too large for a float. The caller then asks std::from_chars, which is slower but always right;
// on decimals not built to be halfway cases that happens about once in 2^100 cells.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace bnrun::data::csv {

namespace nearest_float_detail {

__extension__ using Uint128 = unsigned __int128;

// The decimal exponents the table covers. Below it, w × 10^q < 10^19 × 10^-57 is under FLT_MIN (subnormal or
// zero); above it, 10^39 is over FLT_MAX. Those results are left to from_chars.
inline constexpr int kMinExponent = -56;
inline constexpr int kMaxExponent = 38;

// 10^q ≈ (high × 2^64 + low) × 2^binary_exponent, the 128-bit significand in [2^127, 2^128): 10^q itself for
// q >= 0 (5^q has at most 89 bits), 10^q rounded down for q < 0.
struct PowerOfTen {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  int binary_exponent = 0;
};

extern const std::array<PowerOfTen, kMaxExponent - kMinExponent + 1> kPowersOfTen;

inline constexpr int kSignificandBits = 24;  // a float's, with the implicit leading 1
inline constexpr int kExponentBias = 127;

}  // namespace nearest_float_detail

// Sets `value` to the float nearest to (negative ? -1 : 1) × significand × 10^exponent, ties to even, and
// returns true; or returns false, leaving `value` alone, when this method cannot be sure of it (see above).
// `significand` must not be 0. Inline: it is a few dozen instructions, called for every long number cell.
inline bool nearest_float(std::uint64_t significand, std::int64_t exponent, bool negative, float& value) {
  using namespace nearest_float_detail;
  if (exponent < kMinExponent || exponent > kMaxExponent) return false;
  const PowerOfTen& power = kPowersOfTen[static_cast<std::size_t>(exponent - kMinExponent)];

  // w moved up to bit 63, times the 128-bit power: the top 128 bits of the 192-bit product, in [2^126, 2^128),
  // as `upper` and `lower`, and the lowest 64 bits.
  const int leading_zeros = std::countl_zero(significand);
  const std::uint64_t normalized = significand << leading_zeros;
  const Uint128 high_product = Uint128{normalized} * power.high;
  const Uint128 low_product = Uint128{normalized} * power.low;
  const Uint128 top = high_product + (low_product >> 64);  // no carry out: high_product <= 2^128 - 2^65 + 1
  const auto upper = static_cast<std::uint64_t>(top >> 64);
  const auto lower = static_cast<std::uint64_t>(top);
  const auto lowest = static_cast<std::uint64_t>(low_product);

  // The float's 24 bits are the top bit of `upper` (bit 63 or 62) and the 23 below it; the rest is the
  // remainder, which decides the rounding against the halfway point, half of the last kept bit.
  const auto top_bit_is_63 = static_cast<unsigned>(upper >> 63);
  const unsigned discarded_bits = 63 - kSignificandBits + top_bit_is_63;  // of `upper`: 39 or 40
  auto kept = static_cast<std::uint32_t>(upper >> discarded_bits);
  const std::uint64_t remainder = upper & ((std::uint64_t{1} << discarded_bits) - 1);  // then `lower`, `lowest`
  const std::uint64_t half = std::uint64_t{1} << (discarded_bits - 1);                 // then zeros
  // The power is exact for exponent >= 0, and so is the product: then all of it decides, and a tie goes to the
  // even neighbour. Otherwise the power was rounded down by less than 1 unit of its `low`, so the true product
  // lies above the computed one by less than w units of `lowest`, less than 1 unit of `lower`: within [top,
  // top + 2) units of `lower`. It rounds down at least 2 units of `lower` below the halfway point, up above it,
  // and in between from_chars decides. (Flags, not branches: the rounding direction is as good as random.)
  const bool above_half = (remainder > half) | ((remainder == half) & (lower != 0));
  const bool exact_round_up = above_half | ((remainder == half) & ((lowest != 0) | ((kept & 1) != 0)));
  const bool clearly_below_half = (remainder + 1 < half) | ((remainder + 1 == half) & (lower != ~std::uint64_t{0}));
  const bool power_is_exact = exponent >= 0;
  if (!power_is_exact & !above_half & !clearly_below_half) return false;
  const bool round_up = power_is_exact ? exact_round_up : above_half;

  std::int64_t binary_exponent = 126 + static_cast<int>(top_bit_is_63) + power.binary_exponent + 64 - leading_zeros;
  if (binary_exponent < 1 - kExponentBias) return false;  // subnormal before rounding, or zero
  kept += round_up ? 1 : 0;
  if (kept == std::uint32_t{1} << kSignificandBits) {  // rounded up to the next power of two
    kept >>= 1;
    ++binary_exponent;
  }
  if (binary_exponent > kExponentBias) return false;  // too large for a float
  const std::uint32_t bits = (negative ? std::uint32_t{1} << 31 : 0) |
                             static_cast<std::uint32_t>(binary_exponent + kExponentBias) << (kSignificandBits - 1) |
                             (kept & ((std::uint32_t{1} << (kSignificandBits - 1)) - 1));
  std::memcpy(&value, &bits, sizeof value);
  return true;
}

}  // namespace bnrun::data::csv
