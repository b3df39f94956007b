#include "data/csv/nearest_float.h"

#include <array>
#include <bit>
#include <cstddef>

// The table of powers of ten nearest_float() multiplies by, made at compile time.
namespace bnrun::data::csv::nearest_float_detail {
namespace {

// Unsigned integers of 320 bits in 32-bit limbs (lowest first), for the compile-time arithmetic below: wide
// enough for 2^319 / 5^56, from which the smallest power's 128 bits are taken.
struct WideInteger {
  static constexpr int kLimbs = 10;
  std::array<std::uint32_t, kLimbs> limbs{};

  constexpr void multiply_by(std::uint32_t factor) {
    std::uint64_t carry = 0;
    for (std::uint32_t& limb : limbs) {
      const std::uint64_t product = std::uint64_t{limb} * factor + carry;
      limb = static_cast<std::uint32_t>(product);
      carry = product >> 32;
    }
  }
  // Divides by `divisor`, rounding down.
  constexpr void divide_by(std::uint32_t divisor) {
    std::uint64_t remainder = 0;
    for (int i = kLimbs - 1; i >= 0; --i) {
      const std::uint64_t dividend = remainder << 32 | limbs[i];
      limbs[i] = static_cast<std::uint32_t>(dividend / divisor);
      remainder = dividend % divisor;
    }
  }
  constexpr int bit_length() const {
    for (int i = kLimbs - 1; i >= 0; --i) {
      if (limbs[i] != 0) return 32 * i + 32 - std::countl_zero(limbs[i]);
    }
    return 0;
  }
  constexpr bool bit(int index) const {
    return index >= 0 && index < 32 * kLimbs && (limbs[index / 32] >> (index % 32) & 1) != 0;
  }
};

// 10^q = x × 2^scale (exactly, or x rounded down): x's top 128 bits, rounded down, as the table keeps them.
constexpr PowerOfTen normalized(const WideInteger& x, int scale) {
  const int from = x.bit_length() - 128;  // below 0: x moves up
  PowerOfTen power;
  for (int b = 0; b < 128; ++b) {
    if (x.bit(from + b)) (b < 64 ? power.low : power.high) |= std::uint64_t{1} << (b % 64);
  }
  power.binary_exponent = from + scale;
  return power;
}

// Each power from the one before by one multiplication or division by 5: 10^q = 5^q × 2^q exactly for q >= 0;
// for q = -n, 10^q = (2^319 / 5^n) × 2^(-319 - n), and floor(2^319 / 5^n), divided by 5 one step at a time, is
// exact to the last bit: one rounding down after another is the same as one.
constexpr std::array<PowerOfTen, kMaxExponent - kMinExponent + 1> make_powers_of_ten() {
  std::array<PowerOfTen, kMaxExponent - kMinExponent + 1> powers{};
  WideInteger five_to_q;
  five_to_q.limbs[0] = 1;
  for (int q = 0; q <= kMaxExponent; ++q) {
    powers[static_cast<std::size_t>(q - kMinExponent)] = normalized(five_to_q, q);
    five_to_q.multiply_by(5);
  }
  WideInteger scaled_inverse;  // floor(2^319 / 5^n)
  scaled_inverse.limbs[WideInteger::kLimbs - 1] = std::uint32_t{1} << 31;
  for (int n = 1; n <= -kMinExponent; ++n) {
    scaled_inverse.divide_by(5);
    powers[static_cast<std::size_t>(-n - kMinExponent)] = normalized(scaled_inverse, -319 - n);
  }
  return powers;
}

constexpr std::array<PowerOfTen, kMaxExponent - kMinExponent + 1> kTable = make_powers_of_ten();

// Spot checks of the table: 1 = 2^127 × 2^-127; 10 = 0xA0.. × 2^-124; 10^-1 = 0xCCCC..CC × 2^-131 (rounded down).
static_assert(kTable[-kMinExponent].high == std::uint64_t{1} << 63 && kTable[-kMinExponent].low == 0 &&
              kTable[-kMinExponent].binary_exponent == -127);
static_assert(kTable[1 - kMinExponent].high == 0xA000000000000000 && kTable[1 - kMinExponent].binary_exponent == -124);
static_assert(kTable[-1 - kMinExponent].high == 0xCCCCCCCCCCCCCCCC &&
              kTable[-1 - kMinExponent].low == 0xCCCCCCCCCCCCCCCC && kTable[-1 - kMinExponent].binary_exponent == -131);

}  // namespace

const std::array<PowerOfTen, kMaxExponent - kMinExponent + 1> kPowersOfTen = kTable;

}  // namespace bnrun::data::csv::nearest_float_detail
