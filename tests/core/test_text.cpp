// UTF-8 validation and the JSON nesting guard that run before results and configs are touched.
#include <catch2/catch.hpp>

#include <string>

#include "core/text.h"

using bnrun::excessive_json_nesting_offset;
using bnrun::invalid_utf8_offset;
constexpr auto npos = std::string_view::npos;

TEST_CASE("well-formed UTF-8 of every length passes", "[text]") {
  CHECK(invalid_utf8_offset("") == npos);
  CHECK(invalid_utf8_offset("setosa") == npos);
  CHECK(invalid_utf8_offset("caf\xc3\xa9 \xe2\x88\x92 \xf0\x9f\x8c\xb8") == npos);  // é, −, 🌸
  CHECK(invalid_utf8_offset("\xf4\x8f\xbf\xbf") == npos);                           // U+10FFFF
}

TEST_CASE("ill-formed UTF-8 is found at its first byte", "[text]") {
  CHECK(invalid_utf8_offset("caf\xe9") == 3);           // Latin-1 é
  CHECK(invalid_utf8_offset("ab\xc3") == 2);            // truncated sequence
  CHECK(invalid_utf8_offset("\xc0\xaf") == 0);          // overlong '/'
  CHECK(invalid_utf8_offset("\xe0\x80\xaf") == 0);      // overlong, three bytes
  CHECK(invalid_utf8_offset("x\xed\xa0\x80") == 1);     // a UTF-16 surrogate
  CHECK(invalid_utf8_offset("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(invalid_utf8_offset("ok\x80") == 2);            // a lone continuation byte
  CHECK(invalid_utf8_offset("\xe2\x88x") == 0);         // a continuation byte missing
}

TEST_CASE("JSON nesting beyond the limit is found where it starts, ignoring brackets in strings", "[text]") {
  CHECK(excessive_json_nesting_offset(R"({"a": [1, {"b": 2}]})", 3) == npos);
  CHECK(excessive_json_nesting_offset(R"({"a": [1, {"b": [2]}]})", 3) == 16);
  CHECK(excessive_json_nesting_offset(R"({"a": "[[[[[[", "b": "\"[[[["})", 1) == npos);
  CHECK(excessive_json_nesting_offset(std::string(100000, '['), 64) == 64);
  CHECK(excessive_json_nesting_offset("]]]][", 1) == npos);
}
