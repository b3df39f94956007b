// The reference tokenizer: splits CSV text into records of fields without copying (fields are views into the
// input), byte by byte, with every irregularity reported precisely through Diagnostics. It is the one reader of
// quotes, padding and blank lines; the fast paths only read records it would read the same way, and hand every
// other record back to it.
//
// It works on any range that starts at a record boundary, given the physical line the range starts on; that is
// what lets the parallel reader tokenize chunks of the text independently.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv/messages.h"

namespace bnrun::data::csv {

struct Field {
  std::string_view text;            // trimmed cell text; for a quoted field the text between the quotes, still escaped
  std::size_t line = 0;             // physical line the field starts on
  bool has_doubled_quotes = false;  // quoted text contains "" and must be unescaped before use
};

std::string unescape_doubled_quotes(std::string_view text);

// The field's text as the table keeps it: unescaped.
std::string field_text(const Field& field);

class Tokenizer {
 public:
  Tokenizer(std::string_view text, char delimiter, const Diagnostics& diagnostics, std::size_t first_line = 1);

  std::size_t position() const { return pos_; }
  std::size_t size() const { return text_.size(); }
  std::size_t line() const { return line_; }

  char delimiter() const { return delimiter_; }
  std::string_view text() const { return text_; }
  std::string_view rest() const { return text_.substr(pos_); }
  bool is_padding(char c) const { return padding_[static_cast<unsigned char>(c)]; }

  // Delimiter, line breaks, quote and NUL: the bytes that end (or are not allowed in) an unquoted cell.
  bool ends_unquoted(char c) const { return ends_unquoted_[static_cast<unsigned char>(c)]; }

  // End of the unquoted cell text starting at `p`: the first delimiter, line break, quote or NUL, or `end`.
  // The hot loop of plain cells: one table lookup per byte.
  const char* scan_unquoted(const char* p, const char* const end) const {
    while (p != end && !ends_unquoted(*p)) ++p;
    return p;
  }

  // For the fast paths, which read a simple one-line record themselves: moves to the line break (or end of the
  // text) `length` bytes into rest() that ends that record, and past it.
  void finish_simple_record(std::size_t length) {
    pos_ += length;
    consume_line_break();
  }

  // Reads the next record into `fields` (cleared first). Returns false at the end of the input; blank lines
  // at the end count as the end, a blank line anywhere else is an error.
  bool next_record(std::vector<Field>& fields);

 private:
  bool only_blank_lines_remain() const;
  void skip_padding();
  std::string_view trim_padding(std::string_view text) const;
  bool at_blank_line() const;

  // At a record end the position is at LF, CR, CRLF or the end of the text.
  void consume_line_break() {
    if (pos_ == text_.size()) return;
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  [[noreturn]] void fail_nul_byte(std::size_t column_index) const;
  Field read_unquoted_field(std::size_t column_index);
  Field read_quoted_field(std::size_t column_index);

  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::size_t line_;
  const Diagnostics& diagnostics_;
  std::array<bool, 256> padding_{};        // trimmed around cells: space and tab, unless one is the delimiter
  std::array<bool, 256> ends_unquoted_{};  // bytes that end (or are not allowed in) an unquoted cell
};

}  // namespace bnrun::data::csv
