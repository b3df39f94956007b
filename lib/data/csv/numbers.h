// Feature cells as floats: a cell must be a whole, finite number that fits a float (a leading '+' is allowed).
// Its value is the float std::from_chars gives for it: the float nearest to the decimal, rounded once (not via a
// double, which would round twice). Values too small for a float become (signed) zero.
//
// parse_float_reference() is that definition written plainly; parse_float() is the same function with
// shortcuts (SWAR digit scanning, one exact division for short decimals, nearest_float.h for the rest). Tests
// hold the two, and the fast paths' own cell readers, to the same bits.
#pragma once

#include <string_view>

namespace bnrun::data::csv {

enum class NumberStatus { ok, empty, not_a_number, nan, infinite, out_of_range };

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

NumberStatus parse_float_reference(std::string_view text, float& out);
NumberStatus parse_float(std::string_view text, float& out);

// parse_float() of the cell [begin, end), reading 8 bytes at a time where [begin, readable_end) allows: the
// fast paths know how far the text goes on after a cell.
NumberStatus parse_float_cell(const char* begin, const char* end, const char* readable_end, float& out);

// One of the two, as a reading path picks it.
using FloatParser = NumberStatus (*)(std::string_view text, float& out);

}  // namespace bnrun::data::csv
