// User text (file contents, config keys, command-line values) as it may appear in a message.
//
// A message must stay on one line and be valid UTF-8 whatever bytes the text holds: the command line prints it
// after "error: ", scripts read it line by line, and studies write the errors of failed runs into JSON files
// (nlohmann::json refuses to write invalid UTF-8). So control characters, invalid UTF-8, the C1 controls and the
// Unicode line separators become \xNN, one escape per byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bnrun {

// Length of the well-formed UTF-8 sequence of two to four bytes starting at text[i], with its code point; 0 if
// there is none (an ASCII byte included).
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  char32_t smallest = 0;  // below this the encoding is overlong
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code_point = lead & 0x1Fu, smallest = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code_point = lead & 0x0Fu, smallest = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code_point = lead & 0x07u, smallest = 0x10000;
  } else {
    return 0;
  }
  if (length > text.size() - i) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto continuation = static_cast<unsigned char>(text[i + k]);
    if ((continuation & 0xC0u) != 0x80u) return 0;
    code_point = (code_point << 6) | (continuation & 0x3Fu);
  }
  if (code_point < smallest || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

// As utf8_sequence_length, but 0 also for the C1 controls (U+0080..U+009F) and the line and paragraph
// separators, which could break the line in a terminal or log.
inline std::size_t printable_utf8_length(std::string_view text, std::size_t i) {
  char32_t code_point = 0;
  const std::size_t length = utf8_sequence_length(text, i, code_point);
  if (code_point <= 0x9F || code_point == 0x2028 || code_point == 0x2029) return 0;
  return length;
}

// Whether JSON can hold `text` as a string (nlohmann::json refuses to write invalid UTF-8).
inline bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    char32_t code_point = 0;
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (const std::size_t length = utf8_sequence_length(text, i, code_point); length != 0) {
      i += length;
    } else {
      return false;
    }
  }
  return true;
}

inline void append_hex_escape(std::string& out, unsigned char byte) {
  constexpr char kHexDigits[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 0x0F];
}

// `text` with every byte that is neither printable ASCII nor part of a printable UTF-8 sequence written as \xNN.
// Text that is already printable comes back unchanged.
inline std::string printable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (const std::size_t length = printable_utf8_length(text, i); length != 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      append_hex_escape(out, c);
      ++i;
    }
  }
  return out;
}

}  // namespace bnrun
