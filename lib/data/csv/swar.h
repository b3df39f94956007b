// SWAR ("SIMD within a register") digit handling on 8 bytes loaded little-endian (first character in the lowest
// byte), and the fast paths' reader of short number cells built on it. It avoids the branch per digit, which
// mispredicts on cells of varying length such as pixel values 0..255. Every function here gives exactly what
// parse_float() gives for the cells it takes, and declines the rest.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "data/csv/decimal.h"
#include "data/csv/numbers.h"

namespace bnrun::data::csv {

inline constexpr std::uint64_t kHighNibbles = 0xF0F0F0F0F0F0F0F0;
inline constexpr std::uint64_t kZeroDigits = 0x3030303030303030;  // "00000000"

// Non-zero bytes mark the bytes of `chunk` that are not ASCII digits: the high nibble is not 3, or the low
// nibble is above 9 (adding 6 then carries into the high nibble). A carry out of a byte only happens for a
// byte that is no digit anyway, and only disturbs the bytes after it.
inline std::uint64_t non_digit_bytes(std::uint64_t chunk) {
  return ((chunk & kHighNibbles) ^ kZeroDigits) | (((chunk + 0x0606060606060606) & kHighNibbles) ^ kZeroDigits);
}

// Number of leading ASCII digits in `chunk` (0..8).
inline int count_leading_digits(std::uint64_t chunk) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7F;
  const std::uint64_t marks = non_digit_bytes(chunk);
  const std::uint64_t nonzero_bytes = (((marks & kLow7) + kLow7) | marks) & ~kLow7;
  return std::countr_zero(nonzero_bytes) / 8;  // 64 / 8 = 8 when all are digits
}

// Value of the eight digit characters of `chunk`, the first one most significant: combines pairs, then
// quads, then the two halves, each with one multiply.
inline std::int64_t eight_digits_value(std::uint64_t chunk) {
  std::uint64_t value = chunk & 0x0F0F0F0F0F0F0F0F;
  value = (value * 2561) >> 8;
  value = ((value & 0x00FF00FF00FF00FF) * 6553601) >> 16;
  value = ((value & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
  return static_cast<std::int64_t>(value);
}

// Value of the first `count` (1..8) digit characters of `chunk`: shifted to the top, the bytes below read as
// leading zeros.
inline std::int64_t leading_digits_value(std::uint64_t chunk, int count) {
  return eight_digits_value(chunk << (8 * (8 - count)));
}

// Marks, by the top bit of their byte, the bytes of `chunk` equal to `byte`. The lowest mark is exact; a borrow
// can only add false marks above a true one.
inline std::uint64_t bytes_equal_to(std::uint64_t chunk, char byte) {
  constexpr std::uint64_t kLowBits = 0x0101010101010101;
  constexpr std::uint64_t kHighBits = 0x8080808080808080;
  const std::uint64_t zero_where_equal = chunk ^ (kLowBits * static_cast<unsigned char>(byte));
  return (zero_where_equal - kLowBits) & ~zero_where_equal & kHighBits;
}

// The first `length` (1..8) bytes of `chunk` moved to the top, with '0's filled in below: they read as digits
// with leading zeros if the cell is all digits.
inline std::uint64_t as_eight_digits(std::uint64_t chunk, std::size_t length) {
  const auto shift = static_cast<unsigned>(8 * (8 - length));
  return (chunk << shift) | (kZeroDigits & ~(~std::uint64_t{0} << shift));
}

// The value parse_float() gives a cell of 1 to 8 characters, the first `length` bytes of `chunk` (loaded
// little-endian; the bytes after the cell are ignored), for cells it can take in a few steps without a branch
// per character: -?digits with at most one decimal point among them. False for any other cell.
inline bool short_number_value(std::uint64_t chunk, std::size_t length, float& value) {
  // Moved to the top, the cell's first character is in byte 8 - length. A minus sign there becomes a '0', and
  // the sign is applied at the end (with_sign).
  const auto first_byte_shift = static_cast<unsigned>(8 * (8 - length));
  std::uint64_t digits = as_eight_digits(chunk, length);
  const bool negative = static_cast<char>(digits >> first_byte_shift) == '-';
  digits ^= negative ? std::uint64_t{'-' ^ '0'} << first_byte_shift : 0;
  // A decimal point comes out: the bytes before it move up one, over it, and a '0' fills the lowest byte. (The
  // '0's filled in below the cell are no points.)
  const std::uint64_t points = bytes_equal_to(digits, '.');
  std::size_t fraction_digits = 0;
  if (points != 0) {
    const auto point_byte = static_cast<unsigned>(std::countr_zero(points)) / 8;
    const std::uint64_t below_point = (std::uint64_t{1} << (8 * point_byte)) - 1;
    const std::uint64_t after_point = ~below_point << 8;  // the characters after the point stay where they are
    digits = ((digits & below_point) << 8) | (digits & after_point) | (kZeroDigits & 0xFF);
    fraction_digits = 7 - point_byte;
  }
  // What is left must be digits, at least one ("-", ".", "-." have none).
  if (non_digit_bytes(digits) != 0 || length <= static_cast<std::size_t>(negative) + (points != 0 ? 1 : 0)) {
    return false;
  }
  // An integer of up to 8 digits, exact in a double, divided by a power of ten up to 10^7 (1 for an integer):
  // one correctly rounded division, whose rounding to float gives the float nearest to the decimal (decimal.h
  // says why), as parse_float() does.
  const double magnitude = static_cast<double>(eight_digits_value(digits)) / kExactPowersOfTen[fraction_digits];
  value = with_sign(static_cast<float>(magnitude), negative);
  return true;
}

// Value of a number cell [p, cell_end) without padding, as parse_float() would give it; false if it has no
// such value. Cells of up to eight characters, the bulk of numeric data, take a few branch-free steps (a branch
// per cell length would mispredict on pixel values 0..255); longer ones take parse_float_cell(). `text_end`
// bounds the reads of 8 bytes and more that they need.
inline bool parse_number_cell(const char* p, const char* cell_end, const char* text_end, float& value) {
  if constexpr (std::endian::native == std::endian::little) {
    const auto length = static_cast<std::size_t>(cell_end - p);
    if (length - 1 < 8 && text_end - p >= 8) {  // 1..8 characters (an empty cell wraps around)
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, p, sizeof chunk);
      // Unsigned integers first, in the fewest steps: with the sign and point steps in front, Fashion-MNIST's
      // pixels took a third more CPU time at the baseline level.
      const std::uint64_t digits = as_eight_digits(chunk, length);
      if (non_digit_bytes(digits) == 0) {
        value = static_cast<float>(eight_digits_value(digits));  // exact: at most 8 digits
        return true;
      }
      if (short_number_value(chunk, length, value)) return true;
    }
  }
  return parse_float_cell(p, cell_end, text_end, value) == NumberStatus::ok;
}

}  // namespace bnrun::data::csv
