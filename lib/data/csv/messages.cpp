#include "data/csv/messages.h"

#include "core/error.h"
#include "core/printable.h"

namespace bnrun::data::csv {
namespace {

constexpr std::size_t kMaxQuotedChars = 40;
constexpr std::size_t kMaxListedColumns = 10;

// Bytes taken by the first `max_chars` characters of `text`, a character being a printable UTF-8 sequence or
// else one byte (which printable_text() shows as itself or as one \xNN).
std::size_t bytes_of_first_chars(std::string_view text, std::size_t max_chars) {
  std::size_t i = 0;
  for (std::size_t shown = 0; i < text.size() && shown < max_chars; ++shown) {
    const std::size_t length = printable_utf8_length(text, i);
    i += length != 0 ? length : 1;
  }
  return i;
}

// Appends `text` as printable_text() shows it, with backslash and `quote` (if not '\0') escaped on top, so the
// result reads unambiguously inside that quote. Neither is ever part of a UTF-8 sequence, so cutting the text
// at them leaves every sequence whole.
void append_escaped(std::string& out, std::string_view text, char quote) {
  const char specials[] = {'\\', quote};
  const std::string_view escaped_here(specials, quote != '\0' ? 2 : 1);
  while (true) {
    const std::size_t special = text.find_first_of(escaped_here);
    out += printable_text(text.substr(0, special));
    if (special == std::string_view::npos) return;
    out += '\\';
    out += text[special];
    text.remove_prefix(special + 1);
  }
}

// A file path is shown whole, but escaped: a path may legally contain a newline.
std::string escaped_path(std::string_view path) {
  std::string out;
  append_escaped(out, path, '\0');
  return out;
}

}  // namespace

std::string quoted(std::string_view text, char quote) {
  const std::size_t shown = bytes_of_first_chars(text, kMaxQuotedChars);
  std::string out(1, quote);
  append_escaped(out, text.substr(0, shown), quote);
  out += quote;
  if (shown < text.size()) out += "...";
  return out;
}

std::string name_in_quotes(std::string_view name) {
  return quoted(name, '\'');
}

std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F && c != '\'' && c != '\\') return std::string{'\'', c, '\''};
  std::string out;
  append_hex_escape(out, byte);
  return out;
}

std::string list_columns(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kMaxListedColumns; ++i) {
    if (i > 0) out += ", ";
    out += name_in_quotes(names[i]);
  }
  if (names.size() > kMaxListedColumns) {
    out += ", ... (" + std::to_string(names.size() - kMaxListedColumns) + " more)";
  }
  return out;
}

Diagnostics::Diagnostics(const std::string& path) : path_(escaped_path(path)) {}

void Diagnostics::fail_file(const std::string& what) const {
  throw UserError(path_ + ": " + what);
}

void Diagnostics::fail_at(std::size_t line, std::size_t column_index, const std::string& what) const {
  throw UserError(path_ + ":" + std::to_string(line) + ":" + std::to_string(column_index + 1) + ": " + what);
}

void Diagnostics::fail_blank_line(std::size_t line) const {
  fail_at(line, 0, "blank line (blank lines are only allowed at the end of the file)");
}

std::string Diagnostics::column(std::size_t column_index) const {
  if (column_names_ != nullptr && column_index < column_names_->size()) {
    return "column " + name_in_quotes((*column_names_)[column_index]);
  }
  return "header field " + std::to_string(column_index + 1);
}

}  // namespace bnrun::data::csv
