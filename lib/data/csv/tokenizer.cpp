#include "data/csv/tokenizer.h"

#include <algorithm>

namespace bnrun::data::csv {

std::string unescape_doubled_quotes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') ++i;
  }
  return out;
}

std::string field_text(const Field& field) {
  return field.has_doubled_quotes ? unescape_doubled_quotes(field.text) : std::string(field.text);
}

Tokenizer::Tokenizer(std::string_view text, char delimiter, const Diagnostics& diagnostics, std::size_t first_line)
    : text_(text), delimiter_(delimiter), line_(first_line), diagnostics_(diagnostics) {
  for (const char c : {' ', '\t'}) padding_[static_cast<unsigned char>(c)] = c != delimiter;
  for (const char c : {delimiter, '\n', '\r', '"', '\0'}) ends_unquoted_[static_cast<unsigned char>(c)] = true;
}

bool Tokenizer::next_record(std::vector<Field>& fields) {
  fields.clear();
  if (at_blank_line()) {
    if (only_blank_lines_remain()) {
      pos_ = text_.size();
      return false;
    }
    diagnostics_.fail_blank_line(line_);
  }
  while (true) {
    skip_padding();
    const std::size_t column_index = fields.size();
    fields.push_back(pos_ < text_.size() && text_[pos_] == '"' ? read_quoted_field(column_index)
                                                               : read_unquoted_field(column_index));
    if (pos_ < text_.size() && text_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    consume_line_break();
    return true;
  }
}

bool Tokenizer::only_blank_lines_remain() const {
  return std::all_of(text_.begin() + static_cast<std::ptrdiff_t>(pos_), text_.end(),
                     [this](char c) { return is_padding(c) || c == '\n' || c == '\r'; });
}

void Tokenizer::skip_padding() {
  while (pos_ < text_.size() && is_padding(text_[pos_])) ++pos_;
}

std::string_view Tokenizer::trim_padding(std::string_view text) const {
  while (!text.empty() && is_padding(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_padding(text.back())) text.remove_suffix(1);
  return text;
}

bool Tokenizer::at_blank_line() const {
  std::size_t i = pos_;
  while (i < text_.size() && is_padding(text_[i])) ++i;
  return i == text_.size() || text_[i] == '\n' || text_[i] == '\r';
}

void Tokenizer::fail_nul_byte(std::size_t column_index) const {
  diagnostics_.fail_at(line_, column_index, "NUL byte in the file (is it binary, or UTF-16 encoded?)");
}

Field Tokenizer::read_unquoted_field(std::size_t column_index) {
  const std::size_t start = pos_;
  const char* const data = text_.data();
  pos_ = static_cast<std::size_t>(scan_unquoted(data + pos_, data + text_.size()) - data);
  if (pos_ < text_.size()) {
    if (text_[pos_] == '"') {
      diagnostics_.fail_at(line_, column_index,
                           "quote inside an unquoted field in " + diagnostics_.column(column_index) +
                               " (quote the whole field and write a literal quote as \"\")");
    }
    if (text_[pos_] == '\0') fail_nul_byte(column_index);
  }
  return Field{trim_padding(text_.substr(start, pos_ - start)), line_, false};
}

Field Tokenizer::read_quoted_field(std::size_t column_index) {
  const std::size_t opening_line = line_;
  const std::size_t content_start = ++pos_;
  bool has_doubled_quotes = false;
  while (true) {
    if (pos_ == text_.size()) {
      diagnostics_.fail_at(opening_line, column_index,
                           "quoted field in " + diagnostics_.column(column_index) +
                               " is never closed (its quote opens on this line; the file ends inside it)");
    }
    const char c = text_[pos_];
    if (c == '"') {
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        has_doubled_quotes = true;
        pos_ += 2;
        continue;
      }
      break;
    }
    // Line breaks inside quotes are kept in the text but still count as physical lines (CRLF counts once).
    if (c == '\n' || (c == '\r' && !(pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n'))) ++line_;
    if (c == '\0') fail_nul_byte(column_index);
    ++pos_;
  }
  const std::string_view content = text_.substr(content_start, pos_ - content_start);
  ++pos_;  // the closing quote
  skip_padding();
  if (pos_ < text_.size()) {
    const char next = text_[pos_];
    if (next != delimiter_ && next != '\n' && next != '\r') {
      if (next == '\0') fail_nul_byte(column_index);
      diagnostics_.fail_at(line_, column_index,
                           "unexpected character " + describe_byte(next) + " after the closing quote in " +
                               diagnostics_.column(column_index) + " (expected the delimiter " +
                               describe_byte(delimiter_) + " or the end of the line)");
    }
  }
  return Field{trim_padding(content), opening_line, has_doubled_quotes};
}

}  // namespace bnrun::data::csv
