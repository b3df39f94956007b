#include "data/csv/numbers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include "data/csv/swar.h"

namespace bnrun::data::csv {
namespace {

constexpr int kMaxPlainDigits = 15;  // 10^15 < 2^53, so a mantissa of this many digits is exact in a double

constexpr std::array<std::int64_t, 9> kIntegerPowersOfTen = {1,      10,      100,      1000,     10000,
                                                             100000, 1000000, 10000000, 100000000};

// Appends the run of digits at `p` to `mantissa`, counting them in `digits`. Returns the end of the run, or
// nullptr once there are more than kMaxPlainDigits digits.
const char* scan_digits(const char* p, const char* const end, std::int64_t& mantissa, int& digits) {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, p, sizeof chunk);
      const int count = count_leading_digits(chunk);
      if (count == 0) return p;
      digits += count;
      if (digits > kMaxPlainDigits) return nullptr;
      mantissa = mantissa * kIntegerPowersOfTen[static_cast<std::size_t>(count)] + leading_digits_value(chunk, count);
      p += count;
      if (count < 8) return p;
    }
  }
  for (; p != end && is_digit(*p); ++p) {
    if (++digits > kMaxPlainDigits) return nullptr;
    mantissa = mantissa * 10 + (*p - '0');
  }
  return p;
}

// True, with the value, if the whole of `text` is a plain decimal, -?digits*(.digits*)? with 1 to 15 digits
// (most numeric CSV cells, like "255" or "-0.25"). The conversion is exact and bit-identical to
// std::from_chars: a mantissa below 2^53 divided by an exact power of ten is correctly rounded by a single
// IEEE division (Clinger's fast path).
bool parse_plain_decimal(std::string_view text, double& value) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  std::int64_t mantissa = 0;
  int digits = 0;
  p = scan_digits(p, end, mantissa, digits);
  if (p == nullptr) return false;
  int fraction_digits = 0;
  if (p != end && *p == '.') {
    const int integer_digits = digits;
    p = scan_digits(p + 1, end, mantissa, digits);
    if (p == nullptr) return false;
    fraction_digits = digits - integer_digits;
  }
  if (p != end || digits == 0) return false;
  value = static_cast<double>(mantissa);
  if (fraction_digits != 0) value /= kExactPowersOfTen[static_cast<std::size_t>(fraction_digits)];
  if (negative) value = -value;
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

// A finite double as the float the cell holds; too large for a float is an error.
NumberStatus to_float(double value, float& out) {
  if (std::fabs(value) > static_cast<double>(std::numeric_limits<float>::max())) return NumberStatus::out_of_range;
  out = static_cast<float>(value);
  return NumberStatus::ok;
}

}  // namespace

NumberStatus parse_float_reference(std::string_view text, float& out) {
  if (text.empty()) return NumberStatus::empty;
  std::string_view number = text;
  if (number[0] == '+') {  // from_chars has no '+', people's files do
    number.remove_prefix(1);
    if (number.empty() || number[0] == '+' || number[0] == '-') return NumberStatus::not_a_number;
  }
  double value = 0.0;
  const char* const last = number.data() + number.size();
  const auto [end, error] = std::from_chars(number.data(), last, value);
  if (error == std::errc::invalid_argument || end != last) return NumberStatus::not_a_number;
  if (error == std::errc::result_out_of_range) {
    if (!magnitude_is_below_one(number)) return NumberStatus::out_of_range;
    value = number[0] == '-' ? -0.0 : 0.0;
  }
  if (std::isnan(value)) return NumberStatus::nan;
  if (std::isinf(value)) return NumberStatus::infinite;
  return to_float(value, out);
}

NumberStatus parse_float(std::string_view text, float& out) {
  double value = 0.0;
  if (!parse_plain_decimal(text, value)) return parse_float_reference(text, out);
  return to_float(value, out);
}

}  // namespace bnrun::data::csv
