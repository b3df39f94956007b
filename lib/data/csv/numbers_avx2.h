// Number cells read with AVX2 (and the SSSE3 and SSE4.1 instructions that come with it): what swar.h and
// numbers.cpp do for the baseline, with where the digits are found for all of a cell's bytes at once and up to
// 16 digits turned into an integer by four multiply-adds, instead of eight bytes and a few multiplications at a
// time. Both readers give parse_float()'s value for the cells they take, through decimal_to_float(), and decline
// the rest, which parse_float_cell() then reads.
//
// Only for the avx2 and avx512 levels' row readers (fast_rows.cpp), on CPUs that have AVX2; the functions are
// inlined there.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "data/csv/decimal.h"
#include "data/csv/instruction_sets.h"
#include "data/csv/numbers.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace bnrun::data::csv {

namespace numbers_avx2 {

// Bit i: byte i of the 16 is a digit (of `digit_values`, the bytes minus '0'), or '0' itself.
[[BNRUN_CSV_TARGET_AVX2]] inline std::uint32_t digit_bits(__m128i digit_values) {
  return static_cast<std::uint32_t>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(digit_values, _mm_set1_epi8(9)), digit_values)));
}

// The integer the 16 digit values (0..9, the first most significant) spell.
[[BNRUN_CSV_TARGET_AVX2]] inline std::uint64_t sixteen_digits_value(__m128i digit_values) {
  // Pairs, then groups of four, then of eight: each step one multiply-add of neighbours.
  const __m128i pairs = _mm_maddubs_epi16(digit_values, _mm_set1_epi16(0x010A));                      // × 10, × 1
  const __m128i fours = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00010064));                            // × 100, × 1
  const __m128i eights = _mm_madd_epi16(_mm_packus_epi32(fours, fours), _mm_set1_epi32(0x00012710));  // × 10^4, × 1
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_cvtsi128_si32(eights))) * 100000000 +
         static_cast<std::uint32_t>(_mm_extract_epi32(eights, 1));
}

// The value of the `count` (0..16) digits that end just before `end`, which may be read 16 bytes back: one
// load, the lanes before the digits masked off.
[[BNRUN_CSV_TARGET_AVX2]] inline std::uint64_t last_digits_value(const char* end, int count) {
  // A load at lane n of this table sets the last n of 16 lanes.
  alignas(16) static constexpr unsigned char kLastLanes[32] = {
      0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  const __m128i lanes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLastLanes + count));
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));
  return sixteen_digits_value(_mm_and_si128(_mm_sub_epi8(bytes, _mm_set1_epi8('0')), lanes));
}
// The value of the `count` (0..19) digits that end just before `run_end`, which may be read up to 32 bytes back:
// the last 16 and the (up to 3) before them. No branch on the count, which varies from cell to cell.
[[BNRUN_CSV_TARGET_AVX2]] inline std::uint64_t digit_run_value(const char* run_end, int count) {
  const int last = std::min(count, 16);
  return last_digits_value(run_end - 16, count - last) * kIntegerPowersOfTen[16] + last_digits_value(run_end, last);
}

// The length of the run of set bits from bit `from` (below 32) on: tzcnt, which gives 32 for 0, not a branch.
[[BNRUN_CSV_TARGET_AVX2]] inline int run_length(std::uint32_t bits, int from) {
  return static_cast<int>(_tzcnt_u32(~(bits >> from)));
}

// A cell of 1 to 16 characters that can be read in 16 bytes: -?digits with at most one decimal point among
// them, at most 15 digits (exact in a double) and 8 after the point. `p` may be read 16 bytes on.
[[BNRUN_CSV_TARGET_AVX2]] inline bool short_number_value(const char* p, std::size_t length, float& value) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i digit_values = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
  const std::uint32_t in_cell = (std::uint32_t{1} << length) - 1;
  const std::uint32_t digits = digit_bits(digit_values) & in_cell;
  const std::uint32_t points =
      static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.')))) & in_cell;
  const bool negative = p[0] == '-';
  const auto digit_count = static_cast<unsigned>(std::popcount(digits));
  const auto point_at = static_cast<int>(std::countr_zero(points | std::uint32_t{1} << length));  // length if none
  const int fraction_digits = points != 0 ? static_cast<int>(length) - 1 - point_at : 0;
  // After a minus sign, only digits and one point; 1 to 15 digits, at most 8 after the point.
  if ((digits | points) != (in_cell & ~static_cast<std::uint32_t>(negative)) || (points & (points - 1)) != 0 ||
      digit_count - 1 > 14 || fraction_digits > 8) {
    return false;
  }
  // The digits moved to the last lanes with the point taken out: lane i takes byte i - (16 - digit_count) after
  // the sign, one further on from the point; the lanes before the digits take none (an index with its top bit
  // set reads 0).
  const __m128i lanes = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const auto first_lane = static_cast<int>(16 - digit_count);
  __m128i sources = _mm_add_epi8(lanes, _mm_set1_epi8(static_cast<char>(static_cast<int>(negative) - first_lane)));
  sources = _mm_sub_epi8(sources, _mm_cmpgt_epi8(sources, _mm_set1_epi8(static_cast<char>(point_at - 1))));
  sources = _mm_or_si128(sources, _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(first_lane)), lanes));
  const std::uint64_t significand = sixteen_digits_value(_mm_shuffle_epi8(digit_values, sources));
  // At most 15 digits, exact in a double, and at most 8 after the point: one division that rounds as
  // decimal_to_float() says.
  const double magnitude = static_cast<double>(static_cast<std::int64_t>(significand)) /
                           kExactPowersOfTen[static_cast<std::size_t>(fraction_digits)];
  value = with_sign(static_cast<float>(magnitude), negative);
  return true;
}

// Any other cell of up to 32 characters that has the form numbers.cpp's read_decimal() takes, read the same way,
// from one classification of its 32 bytes and digit runs of up to 16 at a time. `p` may be read 32 bytes on, and
// 32 bytes back if `may_read_back`.
[[BNRUN_CSV_TARGET_AVX2]] inline bool long_number_value(const char* p, std::size_t length, bool may_read_back,
                                                        float& value) {
  // The digit runs are read backwards from their ends, up to 32 bytes before the cell: from the text itself when
  // it goes back that far, else from a copy of the cell with zeros before it.
  alignas(16) char buffer[64];
  const char* cell = p;
  if (!may_read_back) {
    std::memset(buffer, 0, 32);
    std::memcpy(buffer + 32, p, 32);
    cell = buffer + 32;
  }
  const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cell));
  const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cell + 16));
  const std::uint32_t in_cell = length == 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << length) - 1;
  const __m128i zero_char = _mm_set1_epi8('0');
  const std::uint32_t digits =
      (digit_bits(_mm_sub_epi8(low, zero_char)) | digit_bits(_mm_sub_epi8(high, zero_char)) << 16) & in_cell;
  const std::uint32_t zeros = (static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(low, zero_char))) |
                               static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(high, zero_char))) << 16) &
                              in_cell;
  auto at_index = [&](int index) { return static_cast<std::size_t>(index) < length ? cell[index] : '\0'; };

  // Flags and selections, not branches, where cells differ at random: the sign, whether the integer part is 0.
  Decimal number;
  number.negative = cell[0] == '-';
  int at = static_cast<int>(number.negative | (cell[0] == '+'));
  const int integer_start = at;
  const int integer_digits = run_length(digits, integer_start);
  at += integer_digits;
  int fraction_start = at;
  int fraction_digits = 0;
  if (at_index(at) == '.') {
    fraction_start = at + 1;
    fraction_digits = fraction_start < 32 ? run_length(digits, fraction_start) : 0;
    at = fraction_start + fraction_digits;
  }
  if (integer_digits + fraction_digits == 0) return false;
  // Leading zeros carry no value, and a cell like "0.00123" should not spend its 19 digits on them.
  const int integer_zeros = std::min(run_length(zeros, integer_start), integer_digits);
  const int leading_fraction_zeros =
      std::min(fraction_start < 32 ? run_length(zeros, fraction_start) : 0, fraction_digits);
  const int fraction_zeros = leading_fraction_zeros & -static_cast<int>(integer_zeros == integer_digits);
  const int significant_fraction_digits = fraction_digits - fraction_zeros;
  if (integer_digits - integer_zeros + significant_fraction_digits > kMaxSignificantDigits) return false;
  number.significand = digit_run_value(cell + integer_start + integer_digits, integer_digits - integer_zeros) *
                           kIntegerPowersOfTen[static_cast<std::size_t>(significant_fraction_digits)] +
                       digit_run_value(cell + fraction_start + fraction_digits, significant_fraction_digits);

  std::int64_t exponent = 0;
  if (at_index(at) == 'e' || at_index(at) == 'E') {
    ++at;
    const bool negative_exponent = at_index(at) == '-';
    if (at_index(at) == '-' || at_index(at) == '+') ++at;
    if (!is_digit(at_index(at))) return false;
    // Far beyond any float's range the exponent's exact size no longer matters; saturate it.
    for (; is_digit(at_index(at)); ++at) exponent = std::min<std::int64_t>(exponent * 10 + (cell[at] - '0'), 1'000'000);
    if (negative_exponent) exponent = -exponent;
  }
  if (static_cast<std::size_t>(at) != length) return false;
  number.exponent = exponent - fraction_digits;
  return decimal_to_float(number, value);
}

}  // namespace numbers_avx2

// parse_number_cell() (swar.h) for the avx2 and avx512 levels, for a cell of the text [text_begin, text_end).
[[BNRUN_CSV_TARGET_AVX2]] inline bool parse_number_cell_avx2(const char* text_begin, const char* p,
                                                             const char* cell_end, const char* text_end, float& value) {
  const auto length = static_cast<std::size_t>(cell_end - p);
  if (text_end - p >= 32) {
    if (length - 1 < 16 && numbers_avx2::short_number_value(p, length, value)) return true;
    if (length - 1 < 32 && numbers_avx2::long_number_value(p, length, p - text_begin >= 32, value)) return true;
  }
  return parse_float_cell(p, cell_end, text_end, value) == NumberStatus::ok;
}

}  // namespace bnrun::data::csv

#endif
