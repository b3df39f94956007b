#include "data/csv/numbers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "data/csv/decimal.h"
#include "data/csv/swar.h"

namespace bnrun::data::csv {
namespace {

// Longer cells are left to from_chars; no float needs more than 9 significant digits to be written exactly, and
// "%.17g" of a double, the longest common form, takes at most 24 characters.
constexpr std::size_t kMaxFastCellBytes = 32;
// The bytes read from a cell's start: 32 to classify, and 8 past the last of them for a digit run's last load.
constexpr std::ptrdiff_t kReadBytes = 40;

// One bit per byte of the 32 from `p`: which are digits, which '0's.
struct ByteClasses {
  std::uint32_t digits = 0;
  std::uint32_t zeros = 0;
};

ByteClasses classify_32_bytes(const char* p) {
  ByteClasses classes;
#if defined(__SSE2__)
  for (int half = 0; half < 2; ++half) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * half));
    // '0'..'9' plus 0x50 are 0x80..0x89, the only bytes that end up below -118 as signed bytes.
    const __m128i digits = _mm_cmplt_epi8(_mm_add_epi8(bytes, _mm_set1_epi8(0x50)), _mm_set1_epi8(-118));
    const auto shift = static_cast<unsigned>(16 * half);
    classes.digits |= static_cast<std::uint32_t>(_mm_movemask_epi8(digits)) << shift;
    classes.zeros |= static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('0')))) << shift;
  }
#else
  for (unsigned i = 0; i < 32; ++i) {
    classes.digits |= static_cast<std::uint32_t>(is_digit(p[i])) << i;
    classes.zeros |= static_cast<std::uint32_t>(p[i] == '0') << i;
  }
#endif
  return classes;
}

// The length of the run of set bits from bit `from` on (none past bit 31).
int run_length(std::uint32_t bits, int from) {
  return from >= 32 ? 0 : std::countr_zero(~(bits >> from));
}

std::uint64_t load_eight(const char* p) {
  std::uint64_t chunk = 0;
  std::memcpy(&chunk, p, sizeof chunk);
  return chunk;
}

// The value of the `count` (0..19) digits at `p`, which may be read up to 8 bytes past them.
std::uint64_t digits_value(const char* p, int count) {
  constexpr std::uint64_t kHundredMillion = 100000000;
  auto leading = [&](int digits) { return static_cast<std::uint64_t>(leading_digits_value(load_eight(p), digits)); };
  auto eight_at = [&](int offset) { return static_cast<std::uint64_t>(eight_digits_value(load_eight(p + offset))); };
  if (count <= 8) return count == 0 ? 0 : leading(count);
  if (count <= 16) return leading(count - 8) * kHundredMillion + eight_at(count - 8);
  return (leading(count - 16) * kHundredMillion + eight_at(count - 16)) * kHundredMillion + eight_at(count - 8);
}

// True, with the parts, if the whole of [p, end) is [+-]?digits[.digits][(e|E)[+-]?digits] with at least one
// digit before the exponent, at most kMaxSignificantDigits significant ones and at most kMaxFastCellBytes
// characters: the forms from_chars reads, less those it reads as something else (inf, nan) or needs all its
// precision for. Where the digits and the point are comes from one classification of the cell's bytes, not a
// branch per character.
bool read_decimal(const char* p, const char* const end, const char* const readable_end, Decimal& number) {
  const auto length = static_cast<std::size_t>(end - p);
  if (length == 0 || length > kMaxFastCellBytes) return false;
  // Near the end of the text the cell is copied out, so that the reads past it stay inside.
  char copy[kReadBytes];
  if (readable_end - p < kReadBytes) {
    std::memset(copy, 0, sizeof copy);
    std::memcpy(copy, p, length);
    p = copy;
  }
  // The character at `index`, or NUL past the cell.
  auto at_index = [&](int index) { return static_cast<std::size_t>(index) < length ? p[index] : '\0'; };
  ByteClasses classes = classify_32_bytes(p);
  const std::uint32_t in_cell = length == 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << length) - 1;
  classes.digits &= in_cell;
  classes.zeros &= in_cell;

  int at = 0;
  if (p[0] == '-' || p[0] == '+') {
    number.negative = p[0] == '-';
    at = 1;
  }
  const int integer_start = at;
  const int integer_digits = run_length(classes.digits, integer_start);
  at += integer_digits;
  int fraction_start = at;
  int fraction_digits = 0;
  if (at_index(at) == '.') {
    fraction_start = at + 1;
    fraction_digits = run_length(classes.digits, fraction_start);
    at = fraction_start + fraction_digits;
  }
  if (integer_digits + fraction_digits == 0) return false;
  // Leading zeros carry no value, and a cell like "0.00123" should not spend its 19 digits on them.
  const int integer_zeros = std::min(run_length(classes.zeros, integer_start), integer_digits);
  const int fraction_zeros =
      integer_zeros == integer_digits ? std::min(run_length(classes.zeros, fraction_start), fraction_digits) : 0;
  const int significant_integer_digits = integer_digits - integer_zeros;
  const int significant_fraction_digits = fraction_digits - fraction_zeros;
  if (significant_integer_digits + significant_fraction_digits > kMaxSignificantDigits) return false;
  number.significand = digits_value(p + integer_start + integer_zeros, significant_integer_digits) *
                           kIntegerPowersOfTen[static_cast<std::size_t>(significant_fraction_digits)] +
                       digits_value(p + fraction_start + fraction_zeros, significant_fraction_digits);

  std::int64_t exponent = 0;
  if (at_index(at) == 'e' || at_index(at) == 'E') {
    ++at;
    const bool negative_exponent = at_index(at) == '-';
    if (at_index(at) == '-' || at_index(at) == '+') ++at;
    if (!is_digit(at_index(at))) return false;
    // Far beyond any float's range the exponent's exact size no longer matters; saturate it.
    for (; is_digit(at_index(at)); ++at) exponent = std::min<std::int64_t>(exponent * 10 + (p[at] - '0'), 1'000'000);
    if (negative_exponent) exponent = -exponent;
  }
  if (static_cast<std::size_t>(at) != length) return false;
  number.exponent = exponent - fraction_digits;
  return true;
}

// from_chars reports overflow and underflow alike as out_of_range; this tells them apart by the decimal
// exponent of the first significant digit. Only called on text from_chars accepted as a whole.
bool magnitude_is_below_one(std::string_view number) {
  std::size_t i = (!number.empty() && (number[0] == '-' || number[0] == '+')) ? 1 : 0;
  std::int64_t exponent = 0;  // of the first significant digit, before the explicit exponent
  bool significant = false;
  for (; i < number.size() && is_digit(number[i]); ++i) {
    if (significant) {
      ++exponent;
    } else {
      significant = number[i] != '0';
    }
  }
  if (i < number.size() && number[i] == '.') {
    for (++i; i < number.size() && is_digit(number[i]); ++i) {
      if (significant) continue;
      --exponent;
      significant = number[i] != '0';
    }
  }
  if (!significant) return true;
  if (i < number.size() && (number[i] == 'e' || number[i] == 'E')) {
    ++i;
    const bool negative = i < number.size() && number[i] == '-';
    if (i < number.size() && (number[i] == '-' || number[i] == '+')) ++i;
    std::int64_t explicit_exponent = 0;
    for (; i < number.size() && is_digit(number[i]); ++i) {
      explicit_exponent = std::min<std::int64_t>(explicit_exponent * 10 + (number[i] - '0'), 1'000'000'000);
    }
    exponent += negative ? -explicit_exponent : explicit_exponent;
  }
  return exponent < 0;
}

}  // namespace

NumberStatus parse_float_reference(std::string_view text, float& out) {
  if (text.empty()) return NumberStatus::empty;
  std::string_view number = text;
  if (number[0] == '+') {  // from_chars has no '+', people's files do
    number.remove_prefix(1);
    if (number.empty() || number[0] == '+' || number[0] == '-') return NumberStatus::not_a_number;
  }
  float value = 0.0f;
  const char* const last = number.data() + number.size();
  const auto [end, error] = std::from_chars(number.data(), last, value);
  if (error == std::errc::invalid_argument || end != last) return NumberStatus::not_a_number;
  if (error == std::errc::result_out_of_range) {
    if (!magnitude_is_below_one(number)) return NumberStatus::out_of_range;
    value = number[0] == '-' ? -0.0f : 0.0f;
  }
  if (std::isnan(value)) return NumberStatus::nan;
  if (std::isinf(value)) return NumberStatus::infinite;
  out = value;
  return NumberStatus::ok;
}

NumberStatus parse_float_cell(const char* begin, const char* end, const char* readable_end, float& out) {
  Decimal number;
  if (read_decimal(begin, end, readable_end, number) && decimal_to_float(number, out)) return NumberStatus::ok;
  return parse_float_reference(std::string_view(begin, static_cast<std::size_t>(end - begin)), out);
}

NumberStatus parse_float(std::string_view text, float& out) {
  const char* const end = text.data() + text.size();
  return parse_float_cell(text.data(), end, end, out);
}

}  // namespace bnrun::data::csv
