// Feature cells as floats: a cell must be a whole, finite number that fits a float (a leading '+' is allowed);
// its value is std::from_chars's double rounded to float, and values too small for a float become (signed)
// zero, as the cast makes them.
//
// parse_float_reference() is that definition written plainly; parse_float() is the same function with a
// shortcut (SWAR digit scanning, Clinger's fast path) for plain decimals. Tests hold the two, and the fast
// paths' own cell readers, to the same bits.
#pragma once

#include <string_view>

namespace bnrun::data::csv {

enum class NumberStatus { ok, empty, not_a_number, nan, infinite, out_of_range };

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

NumberStatus parse_float_reference(std::string_view text, float& out);
NumberStatus parse_float(std::string_view text, float& out);

// One of the two, as a reading path picks it.
using FloatParser = NumberStatus (*)(std::string_view text, float& out);

}  // namespace bnrun::data::csv
