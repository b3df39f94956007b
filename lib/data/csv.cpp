#include "data/csv.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/printable.h"
#include "kernels/parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The fast path for rows of short integers compresses the digits of 64 bytes at a time (AVX-512 VBMI2) and
// picks cell ends by bit position (BMI2). Without them such rows take the portable fast path.
#if defined(__AVX512BW__) && defined(__AVX512VBMI2__) && defined(__BMI2__)
#define BNRUN_CSV_SHORT_INTEGER_BLOCKS 1
#include <immintrin.h>
#endif

namespace bnrun::data {
namespace {

// ---------------------------------------------------------------------------------------------------------
// Quoting user text in messages: escaped as core/printable.h says, and long text cut short.

constexpr std::size_t kMaxQuotedChars = 40;
constexpr std::size_t kMaxListedColumns = 10;

// Appends `text` with unprintable bytes escaped, stopping after `max_chars` characters. `quote` (if not '\0')
// and backslash are escaped too, so the result reads unambiguously inside that quote. Returns bytes consumed.
std::size_t append_escaped(std::string& out, std::string_view text, std::size_t max_chars, char quote) {
  std::size_t i = 0;
  for (std::size_t shown = 0; i < text.size() && shown < max_chars; ++shown) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((quote != '\0' && c == static_cast<unsigned char>(quote)) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c >= 0x20 && c < 0x7F) {
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
  return i;
}

// `text` in the given quotes, escaped and truncated ("..." after the closing quote marks a cut).
std::string quoted(std::string_view text, char quote = '"') {
  std::string out(1, quote);
  const std::size_t consumed = append_escaped(out, text, kMaxQuotedChars, quote);
  out += quote;
  if (consumed < text.size()) out += "...";
  return out;
}

std::string name_in_quotes(std::string_view name) {
  return quoted(name, '\'');
}

// A file path is shown whole, but escaped: a path may legally contain a newline.
std::string escaped_path(std::string_view path) {
  std::string out;
  append_escaped(out, path, path.size(), '\0');
  return out;
}

std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F && c != '\'' && c != '\\') return std::string{'\'', c, '\''};
  std::string out;
  append_hex_escape(out, byte);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Error reporting with file positions.

class Diagnostics {
 public:
  explicit Diagnostics(const std::string& path) : path_(escaped_path(path)) {}

  // Once the header is known, cell messages name columns by their header name.
  void set_column_names(const std::vector<std::string>* names) { column_names_ = names; }

  [[noreturn]] void fail_file(const std::string& what) const { throw UserError(path_ + ": " + what); }

  [[noreturn]] void fail_at(std::size_t line, std::size_t column_index, const std::string& what) const {
    throw UserError(path_ + ":" + std::to_string(line) + ":" + std::to_string(column_index + 1) + ": " + what);
  }

  [[noreturn]] void fail_blank_line(std::size_t line) const {
    fail_at(line, 0, "blank line (blank lines are only allowed at the end of the file)");
  }

  // "column 'sepal_width'", or "header field 3" while the header itself is being read.
  std::string column(std::size_t column_index) const {
    if (column_names_ != nullptr && column_index < column_names_->size()) {
      return "column " + name_in_quotes((*column_names_)[column_index]);
    }
    return "header field " + std::to_string(column_index + 1);
  }

 private:
  std::string path_;
  const std::vector<std::string>* column_names_ = nullptr;
};

// ---------------------------------------------------------------------------------------------------------
// Tokenizer: splits text into records of fields without copying. Fields are views into the input.

struct Field {
  std::string_view text;            // trimmed cell text; for a quoted field the text between the quotes, still escaped
  std::size_t line = 0;             // physical line the field starts on
  bool has_doubled_quotes = false;  // quoted text contains "" and must be unescaped before use
};

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

// Works on any range that starts at a record boundary, given the physical line the range starts on; that is
// what lets the parallel reader tokenize chunks of the text independently.
class Tokenizer {
 public:
  Tokenizer(std::string_view text, char delimiter, const Diagnostics& diagnostics, std::size_t first_line = 1)
      : text_(text), delimiter_(delimiter), line_(first_line), diagnostics_(diagnostics) {
    for (const char c : {' ', '\t'}) padding_[static_cast<unsigned char>(c)] = c != delimiter;
    for (const char c : {delimiter, '\n', '\r', '"', '\0'}) ends_unquoted_[static_cast<unsigned char>(c)] = true;
  }

  std::size_t position() const { return pos_; }
  std::size_t size() const { return text_.size(); }
  std::size_t line() const { return line_; }

  char delimiter() const { return delimiter_; }
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

  // For the fast path, which reads a simple one-line record itself: moves to the line break (or end of the
  // text) `length` bytes into rest() that ends that record, and past it.
  void finish_simple_record(std::size_t length) {
    pos_ += length;
    consume_line_break();
  }

  // True if nothing but blank lines is left.
  bool only_blank_lines_remain() const {
    return std::all_of(text_.begin() + static_cast<std::ptrdiff_t>(pos_), text_.end(),
                       [this](char c) { return is_padding(c) || c == '\n' || c == '\r'; });
  }

  // Reads the next record into `fields` (cleared first). Returns false at the end of the input; blank lines
  // at the end count as the end, a blank line anywhere else is an error.
  bool next_record(std::vector<Field>& fields) {
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

 private:
  void skip_padding() {
    while (pos_ < text_.size() && is_padding(text_[pos_])) ++pos_;
  }

  std::string_view trim_padding(std::string_view text) const {
    while (!text.empty() && is_padding(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_padding(text.back())) text.remove_suffix(1);
    return text;
  }

  bool at_blank_line() const {
    std::size_t i = pos_;
    while (i < text_.size() && is_padding(text_[i])) ++i;
    return i == text_.size() || text_[i] == '\n' || text_[i] == '\r';
  }

  // At a record end the position is at LF, CR, CRLF or the end of the text.
  void consume_line_break() {
    if (pos_ == text_.size()) return;
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  [[noreturn]] void fail_nul_byte(std::size_t column_index) const {
    diagnostics_.fail_at(line_, column_index, "NUL byte in the file (is it binary, or UTF-16 encoded?)");
  }

  Field read_unquoted_field(std::size_t column_index) {
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

  Field read_quoted_field(std::size_t column_index) {
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

  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::size_t line_;
  const Diagnostics& diagnostics_;
  std::array<bool, 256> padding_{};        // trimmed around cells: space and tab, unless one is the delimiter
  std::array<bool, 256> ends_unquoted_{};  // bytes that end (or are not allowed in) an unquoted cell
};

// ---------------------------------------------------------------------------------------------------------
// Numbers.

enum class NumberStatus { ok, empty, not_a_number, nan, infinite, out_of_range };

// Exact in a double: 10^22 is the largest power of ten that is.
constexpr std::array<double, 23> kExactPowersOfTen = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

constexpr int kMaxPlainDigits = 15;  // 10^15 < 2^53, so a mantissa of this many digits is exact in a double

constexpr std::array<std::int64_t, 9> kIntegerPowersOfTen = {1,      10,      100,      1000,     10000,
                                                             100000, 1000000, 10000000, 100000000};

// SWAR digit handling on 8 bytes loaded little-endian (first character in the lowest byte). It avoids the
// branch per digit, which mispredicts on cells of varying length such as pixel values 0..255.

constexpr std::uint64_t kHighNibbles = 0xF0F0F0F0F0F0F0F0;
constexpr std::uint64_t kZeroDigits = 0x3030303030303030;  // "00000000"

// Non-zero bytes mark the bytes of `chunk` that are not ASCII digits: the high nibble is not 3, or the low
// nibble is above 9 (adding 6 then carries into the high nibble). A carry out of a byte only happens for a
// byte that is no digit anyway, and only disturbs the bytes after it.
inline std::uint64_t non_digit_bytes(std::uint64_t chunk) {
  return ((chunk & kHighNibbles) ^ kZeroDigits) | (((chunk + 0x0606060606060606) & kHighNibbles) ^ kZeroDigits);
}

// Number of leading ASCII digits in `chunk` (0..8).
inline int count_leading_digits(std::uint64_t chunk) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7F;
  const std::uint64_t marks = non_digit_bytes(chunk);
  const std::uint64_t nonzero_bytes = (((marks & kLow7) + kLow7) | marks) & ~kLow7;
  return std::countr_zero(nonzero_bytes) / 8;  // 64 / 8 = 8 when all are digits
}

// Value of the eight digit characters of `chunk`, the first one most significant: combines pairs, then
// quads, then the two halves, each with one multiply.
inline std::int64_t eight_digits_value(std::uint64_t chunk) {
  std::uint64_t value = chunk & 0x0F0F0F0F0F0F0F0F;
  value = (value * 2561) >> 8;
  value = ((value & 0x00FF00FF00FF00FF) * 6553601) >> 16;
  value = ((value & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
  return static_cast<std::int64_t>(value);
}

// Value of the first `count` (1..8) digit characters of `chunk`: shifted to the top, the bytes below read as
// leading zeros.
inline std::int64_t leading_digits_value(std::uint64_t chunk, int count) {
  return eight_digits_value(chunk << (8 * (8 - count)));
}

// Appends the run of digits at `p` to `mantissa`, counting them in `digits`. Returns the end of the run, or
// nullptr once there are more than kMaxPlainDigits digits.
inline const char* scan_digits(const char* p, const char* const end, std::int64_t& mantissa, int& digits) {
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

// Parses a whole cell as a finite float. Values too small for a float become (signed) zero, as a float cast
// would make them; values too large are an error.
NumberStatus parse_float(std::string_view text, float& out) {
  if (text.empty()) return NumberStatus::empty;
  double value = 0.0;
  if (!parse_plain_decimal(text, value)) {
    std::string_view number = text;
    if (number[0] == '+') {  // from_chars has no '+', people's files do
      number.remove_prefix(1);
      if (number.empty() || number[0] == '+' || number[0] == '-') return NumberStatus::not_a_number;
    }
    const char* const last = number.data() + number.size();
    const auto [end, error] = std::from_chars(number.data(), last, value);
    if (error == std::errc::invalid_argument || end != last) return NumberStatus::not_a_number;
    if (error == std::errc::result_out_of_range) {
      if (!magnitude_is_below_one(number)) return NumberStatus::out_of_range;
      value = number[0] == '-' ? -0.0 : 0.0;
    }
    if (std::isnan(value)) return NumberStatus::nan;
    if (std::isinf(value)) return NumberStatus::infinite;
  }
  if (std::fabs(value) > static_cast<double>(std::numeric_limits<float>::max())) return NumberStatus::out_of_range;
  out = static_cast<float>(value);
  return NumberStatus::ok;
}

// ---------------------------------------------------------------------------------------------------------
// Header and column selection.

constexpr std::int32_t kTargetColumn = -1;
constexpr std::int32_t kUnusedColumn = -2;

struct ColumnLayout {
  std::vector<std::string> header;
  std::vector<std::int32_t> role;  // per header column: index into the feature row, kTargetColumn or kUnusedColumn
  std::vector<std::string> feature_names;
  std::size_t target_index = 0;
  bool features_are_the_other_columns = false;  // every column but the target is a feature, in file order
};

bool are_the_other_columns_in_order(const ColumnLayout& layout) {
  for (std::size_t i = 0; i < layout.role.size(); ++i) {
    if (i == layout.target_index) continue;
    const auto feature_index = static_cast<std::int32_t>(i < layout.target_index ? i : i - 1);
    if (layout.role[i] != feature_index) return false;
  }
  return true;
}

std::vector<std::string> read_header(Tokenizer& tokenizer, std::vector<Field>& fields, const Diagnostics& diagnostics) {
  if (!tokenizer.next_record(fields)) diagnostics.fail_file("the file is empty (expected a header line)");
  std::vector<std::string> names;
  names.reserve(fields.size());
  std::unordered_map<std::string_view, std::size_t> first_position;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    names.push_back(field_text(fields[i]));
    if (names.back().empty()) diagnostics.fail_at(fields[i].line, i, "empty column name in the header");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto [existing, inserted] = first_position.emplace(names[i], i);
    if (!inserted) {
      diagnostics.fail_at(fields[i].line, i,
                          "duplicate column name " + name_in_quotes(names[i]) + " (columns " +
                              std::to_string(existing->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
  return names;
}

// "'a', 'b', 'c'" — at most the first ten, then "... (N more)".
std::string list_columns(const std::vector<std::string>& header) {
  std::string out;
  for (std::size_t i = 0; i < header.size() && i < kMaxListedColumns; ++i) {
    if (i > 0) out += ", ";
    out += name_in_quotes(header[i]);
  }
  if (header.size() > kMaxListedColumns) {
    out += ", ... (" + std::to_string(header.size() - kMaxListedColumns) + " more)";
  }
  return out;
}

std::size_t find_column(const std::vector<std::string>& header, const std::string& name) {
  return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
}

ColumnLayout resolve_columns(std::vector<std::string> header, const CsvOptions& options,
                             const Diagnostics& diagnostics) {
  ColumnLayout layout;
  layout.header = std::move(header);
  const auto& names = layout.header;
  layout.role.assign(names.size(), kUnusedColumn);

  // No target column asked for (predicting unlabelled rows): target_index points past the header, so no
  // column takes the target role, every target is empty, and the short-integer fast path (which expects a
  // target cell) is not used.
  const bool has_target = !options.target_column.empty();
  layout.target_index = has_target ? find_column(names, options.target_column) : names.size();
  if (has_target && layout.target_index == names.size()) {
    diagnostics.fail_file("target column " + name_in_quotes(options.target_column) +
                          " is not in the header; the columns are: " + list_columns(names));
  }
  if (has_target) layout.role[layout.target_index] = kTargetColumn;

  auto add_feature = [&](std::size_t column_index) {
    layout.role[column_index] = static_cast<std::int32_t>(layout.feature_names.size());
    layout.feature_names.push_back(names[column_index]);
  };
  if (options.feature_columns.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i != layout.target_index) add_feature(i);
    }
    if (layout.feature_names.empty()) {
      diagnostics.fail_file("no feature columns: the header has only the target column " +
                            name_in_quotes(options.target_column));
    }
    layout.features_are_the_other_columns = has_target;
    return layout;
  }
  for (const std::string& name : options.feature_columns) {
    const std::size_t column_index = find_column(names, name);
    if (column_index == names.size()) {
      diagnostics.fail_file("feature column " + name_in_quotes(name) +
                            " is not in the header; the columns are: " + list_columns(names));
    }
    if (column_index == layout.target_index) {
      diagnostics.fail_file("column " + name_in_quotes(name) + " is both the target and a feature column");
    }
    if (layout.role[column_index] != kUnusedColumn) {
      diagnostics.fail_file("feature column " + name_in_quotes(name) + " is listed twice");
    }
    add_feature(column_index);
  }
  layout.features_are_the_other_columns = has_target && are_the_other_columns_in_order(layout);
  return layout;
}

// ---------------------------------------------------------------------------------------------------------
// Data rows.

void check_field_count(const std::vector<Field>& fields, const ColumnLayout& layout, const Diagnostics& diagnostics) {
  const std::size_t expected = layout.header.size();
  if (fields.size() == expected) return;
  const std::string counts =
      "row has " + std::to_string(fields.size()) + " fields but the header has " + std::to_string(expected);
  if (fields.size() > expected) {
    diagnostics.fail_at(fields[expected].line, expected, counts);
  }
  diagnostics.fail_at(fields.back().line, fields.size(),
                      counts + "; the first missing column is " + name_in_quotes(layout.header[fields.size()]));
}

float parse_feature(const Field& field, std::size_t column_index, const Diagnostics& diagnostics) {
  float value = 0.0f;
  std::string unescaped;
  std::string_view text = field.text;
  if (field.has_doubled_quotes) text = unescaped = unescape_doubled_quotes(field.text);
  const NumberStatus status = parse_float(text, value);
  if (status == NumberStatus::ok) return value;

  const std::string column = diagnostics.column(column_index);
  switch (status) {
    case NumberStatus::empty:
      diagnostics.fail_at(field.line, column_index, column + " is empty (missing values are not supported)");
    case NumberStatus::nan:
      diagnostics.fail_at(field.line, column_index,
                          column + " is NaN: " + quoted(text) + " (missing values are not supported)");
    case NumberStatus::infinite:
      diagnostics.fail_at(field.line, column_index, column + " is infinite: " + quoted(text));
    case NumberStatus::out_of_range:
      diagnostics.fail_at(field.line, column_index, column + " is too large for a 32-bit float: " + quoted(text));
    case NumberStatus::not_a_number:
    case NumberStatus::ok:
      break;
  }
  diagnostics.fail_at(field.line, column_index, column + " is not a number: " + quoted(text));
}

// Where parsed rows go: consecutive rows of the table's vectors, from a first row on. The serial reader appends,
// growing the vectors a row at a time into the capacity reserve_rows() set aside. A chunk read in parallel
// owns a slice of rows sized in advance by its line count, so no thread ever resizes the shared vectors.
class RowWriter {
 public:
  static RowWriter appending(CsvTable& table, std::size_t width) {
    return RowWriter(table, width, table.rows, table.rows, true);
  }
  static RowWriter into_slice(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t row_count) {
    return RowWriter(table, width, first_row, first_row + row_count, false);
  }

  // The feature cells of the next row, to fill in before commit(). Until then it is the same row each call, so
  // a row the fast path gave up on is simply overwritten.
  float* next_row_features() {
    if (next_row_ == end_row_) make_room();
    return table_.features.data() + next_row_ * width_;
  }

  // Completes the row next_row_features() gave out.
  void commit(std::string_view target, std::size_t line) {
    table_.targets[next_row_].assign(target);
    commit_line(line);
  }
  void commit(std::string&& target, std::size_t line) {
    table_.targets[next_row_] = std::move(target);
    commit_line(line);
  }

  std::size_t rows_written() const { return next_row_ - first_row_; }
  std::size_t end_of_written_rows() const { return next_row_; }

 private:
  RowWriter(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t end_row, bool growable)
      : table_(table),
        width_(width),
        first_row_(first_row),
        next_row_(first_row),
        end_row_(end_row),
        growable_(growable) {}

  void make_room() {
    // A slice holds one row per physical line, and without quotes no record spans two lines.
    if (!growable_) throw std::logic_error("bnrun: a CSV chunk holds more records than lines");
    ++end_row_;
    table_.features.resize(end_row_ * width_);
    table_.targets.resize(end_row_);
    table_.line_numbers.resize(end_row_);
  }

  void commit_line(std::size_t line) {
    table_.line_numbers[next_row_] = line;
    ++next_row_;
  }

  CsvTable& table_;
  std::size_t width_;
  std::size_t first_row_;
  std::size_t next_row_;
  std::size_t end_row_;
  bool growable_;
};

// Sets the number of rows, trimming the vectors to it (their capacity stays).
void set_row_count(CsvTable& table, std::size_t width, std::size_t rows) {
  table.features.resize(rows * width);
  table.targets.resize(rows);
  table.line_numbers.resize(rows);
  table.rows = rows;
}

// The general path: any record the tokenizer accepts, with every error reported precisely.
void append_general_row(const std::vector<Field>& fields, const ColumnLayout& layout, const Diagnostics& diagnostics,
                        RowWriter& rows) {
  check_field_count(fields, layout, diagnostics);
  float* const row = rows.next_row_features();
  std::string target;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::int32_t role = layout.role[i];
    if (role >= 0) {
      row[role] = parse_feature(fields[i], i, diagnostics);
    } else if (role == kTargetColumn) {
      if (fields[i].text.empty()) {
        diagnostics.fail_at(fields[i].line, i, "target " + diagnostics.column(i) + " is empty");
      }
      target = field_text(fields[i]);
    }
  }
  rows.commit(std::move(target), fields.front().line);
}

// Finds, in order, the bytes of a simple record that end a cell or forbid the fast path (see
// Tokenizer::ends_unquoted), and finally the end of the text. It classifies 64 bytes at a time into a bit
// mask, so the position of the next cell never waits on parsing the current one and there is no branch per
// byte to mispredict where cells of varying length end.
class CellEndFinder {
 public:
  static constexpr std::ptrdiff_t kBlock = 64;

  CellEndFinder(const char* begin, const char* end, const Tokenizer& tokenizer) : end_(end), tokenizer_(tokenizer) {
    load_block(begin);
  }

  // The next cell-ending byte, or the end of the text.
  const char* next() {
    while (mask_ == 0) {
      if (end_ - block_ <= kBlock) return end_;
      load_block(block_ + kBlock);
    }
    const char* const found = block_ + std::countr_zero(mask_);
    mask_ &= mask_ - 1;
    return found;
  }

 private:
  void load_block(const char* block) {
    block_ = block;
    mask_ = end_ - block >= kBlock ? full_block_mask(block) : tail_mask(block);
  }

  std::uint64_t full_block_mask(const char* block) const {
#if defined(__SSE2__)
    const __m128i delimiter = _mm_set1_epi8(tokenizer_.delimiter());
    const __m128i line_feed = _mm_set1_epi8('\n');
    const __m128i carriage_return = _mm_set1_epi8('\r');
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i zero = _mm_setzero_si128();
    std::uint64_t mask = 0;
    for (int part = 0; part < 4; ++part) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * part));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, delimiter), _mm_cmpeq_epi8(bytes, line_feed)),
                       _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, carriage_return), _mm_cmpeq_epi8(bytes, quote)),
                                    _mm_cmpeq_epi8(bytes, zero)));
      mask |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(special))) << (16 * part);
    }
    return mask;
#else
    return scalar_mask(block, kBlock);
#endif
  }

  // The last, partial block: its special bytes plus a bit for the end of the text.
  std::uint64_t tail_mask(const char* block) const {
    const auto length = static_cast<int>(end_ - block);
    return scalar_mask(block, length) | (std::uint64_t{1} << length);
  }

  std::uint64_t scalar_mask(const char* block, int length) const {
    std::uint64_t mask = 0;
    for (int i = 0; i < length; ++i) {
      if (tokenizer_.ends_unquoted(block[i])) mask |= std::uint64_t{1} << i;
    }
    return mask;
  }

  const char* const end_;
  const Tokenizer& tokenizer_;
  const char* block_ = nullptr;
  std::uint64_t mask_ = 0;
};

// Marks, by the top bit of their byte, the bytes of `chunk` equal to `byte`. The lowest mark is exact; a borrow
// can only add false marks above a true one.
inline std::uint64_t bytes_equal_to(std::uint64_t chunk, char byte) {
  constexpr std::uint64_t kLowBits = 0x0101010101010101;
  constexpr std::uint64_t kHighBits = 0x8080808080808080;
  const std::uint64_t zero_where_equal = chunk ^ (kLowBits * static_cast<unsigned char>(byte));
  return (zero_where_equal - kLowBits) & ~zero_where_equal & kHighBits;
}

// The first `length` (1..8) bytes of `chunk` moved to the top, with '0's filled in below: they read as digits
// with leading zeros if the cell is all digits.
inline std::uint64_t as_eight_digits(std::uint64_t chunk, std::size_t length) {
  const auto shift = static_cast<unsigned>(8 * (8 - length));
  return (chunk << shift) | (kZeroDigits & ~(~std::uint64_t{0} << shift));
}

// The value parse_float() gives a cell of 1 to 8 characters, the first `length` bytes of `chunk` (loaded
// little-endian; the bytes after the cell are ignored), for cells it can take in a few steps without a branch
// per character: -?digits with at most one decimal point among them, as parse_plain_decimal() reads them.
inline bool short_plain_decimal_value(std::uint64_t chunk, std::size_t length, float& value) {
  // The sign is applied by a multiplication, not a branch that would mispredict on cells of random sign;
  // it is exact and makes "-0" -0.0.
  static constexpr float kSigns[] = {1.0f, -1.0f};
  const bool negative = static_cast<char>(chunk & 0xFF) == '-';
  chunk >>= 8 * static_cast<unsigned>(negative);
  length -= static_cast<std::size_t>(negative);
  if (length == 0) return false;  // "-"
  std::uint64_t digits = as_eight_digits(chunk, length);
  if (non_digit_bytes(digits) == 0) {
    // An integer of up to 8 digits: converting it straight to float rounds as via the (exact) double.
    value = static_cast<float>(eight_digits_value(digits)) * kSigns[negative];
    return true;
  }
  // Take the decimal point out, and read the rest as an integer divided by a power of ten, as
  // parse_plain_decimal() does. (The '0's filled in below the cell are no points.)
  const std::uint64_t points = bytes_equal_to(digits, '.');
  if (points == 0 || length == 1) return false;  // not a plain decimal, or "." alone
  const auto point_byte = static_cast<unsigned>(std::countr_zero(points)) / 8;
  const std::uint64_t below_point = (std::uint64_t{1} << (8 * point_byte)) - 1;
  const std::uint64_t after_point = ~below_point << 8;  // the characters after the point stay where they are
  // The bytes before the point move up one, over it, and a '0' fills the lowest byte.
  digits = ((digits & below_point) << 8) | (digits & after_point) | (kZeroDigits & 0xFF);
  if (non_digit_bytes(digits) != 0) return false;
  const std::size_t fraction_digits = 7 - point_byte;
  const double magnitude = static_cast<double>(eight_digits_value(digits)) / kExactPowersOfTen[fraction_digits];
  value = static_cast<float>(magnitude) * kSigns[negative];
  return true;
}

// Value of a number cell [p, cell_end) without padding, as parse_float() would give it; false if it has no
// such value. Cells of up to eight characters, the bulk of numeric data, take a few branch-free steps: first
// the fewest, for unsigned integers (with the sign steps in front, pixel data read cell by cell took 16%
// longer), then those for a sign and a decimal point. `text_end` bounds the 8-byte read they need.
inline bool parse_number_cell(const char* p, const char* cell_end, const char* text_end, float& value) {
  if constexpr (std::endian::native == std::endian::little) {
    const auto length = static_cast<std::size_t>(cell_end - p);
    if (length - 1 < 8 && text_end - p >= 8) {  // 1..8 characters (an empty cell wraps around)
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, p, sizeof chunk);
      const std::uint64_t digits = as_eight_digits(chunk, length);
      if (non_digit_bytes(digits) == 0) {
        value = static_cast<float>(eight_digits_value(digits));  // exact in a double, so rounds the same
        return true;
      }
      if (short_plain_decimal_value(chunk, length, value)) return true;
    }
  }
  return parse_float(std::string_view(p, static_cast<std::size_t>(cell_end - p)), value) == NumberStatus::ok;
}

// A target cell the fast paths can take as it is: not empty, and no padding to trim.
bool is_plain_target(std::string_view target, const Tokenizer& tokenizer) {
  return !target.empty() && !tokenizer.is_padding(target.front()) && !tokenizer.is_padding(target.back());
}

#if defined(BNRUN_CSV_SHORT_INTEGER_BLOCKS)
// Cells of short integers, 64 bytes at a time.
//
// Pixel-like data is rows of hundreds of cells "0" to "255". Read cell by cell, each costs a scan, a branch on
// its length and a conversion. Here a 64-byte block is classified at once: every byte that is neither a digit
// nor a minus sign ends a cell, and the digits one, two and three places before the cell ends are gathered
// side by side (one compress per digit place) and turned into floats 16 at a time. Only cells of an optional
// '-' and 1 to 3 ASCII digits, separated by the delimiter, are taken; anything else (a '+', a decimal point,
// padding, a quote, an empty cell, a longer number) sends the whole row back to the cell-by-cell fast path, so
// results and errors stay as they were. Such integers are exact in a float, as parse_float() gives them.

// The 64 bytes from `block` on, with the bytes outside [low, high) read as 0. A masked load does not touch the
// bytes it leaves out, so the block may start before `low` or run past `high`; that is also why the addresses
// are integers rather than pointers.
inline __m512i load_block_within(std::uintptr_t block, std::uintptr_t low, std::uintptr_t high) {
  auto bytes_below = [block](std::uintptr_t limit) -> std::uint64_t {
    if (limit <= block) return 0;
    return _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(std::min<std::uintptr_t>(limit - block, 64)));
  };
  return _mm512_maskz_loadu_epi8(bytes_below(high) & ~bytes_below(low), reinterpret_cast<const void*>(block));
}

// A block of cell text seen from each of its 64 bytes: what the byte itself and the bytes up to four places
// before it are. Bit i of a mask (or byte i of a vector) is about block byte i; bytes outside the cells read
// as 0, neither digit nor sign.
struct ShortIntegerBlock {
  static constexpr std::size_t kDigitPlaces = 4;  // the byte itself and the three digits before a cell end
  static constexpr std::size_t kSignPlaces = 5;   // a cell's end and its sign are at most 4 bytes apart: "-255,"

  // [back]: about the byte `back` places before. (A plain array: as a template argument, __m512i would lose its
  // vector attributes.)
  __m512i digit_value[kDigitPlaces];  // the byte minus '0'
  std::array<std::uint64_t, kDigitPlaces> is_digit{};
  std::array<std::uint64_t, kSignPlaces> is_minus{};
  std::uint64_t is_delimiter = 0;

  // `minus_before` is is_minus[0] of the block before, if this one continues it.
  ShortIntegerBlock(std::uintptr_t block, std::uintptr_t low, std::uintptr_t high, char delimiter,
                    std::uint64_t minus_before) {
    const __m512i zero_char = _mm512_set1_epi8('0');
    const __m512i ten = _mm512_set1_epi8(10);
    for (std::size_t back = 0; back < kDigitPlaces; ++back) {
      const __m512i bytes = load_block_within(block - back, low, high);
      if (back == 0) {
        is_delimiter = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(delimiter));
        is_minus[0] = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('-'));
      }
      digit_value[back] = _mm512_sub_epi8(bytes, zero_char);
      is_digit[back] = _mm512_cmplt_epu8_mask(digit_value[back], ten);
    }
    // Signs are rare enough to shift in from the masks rather than compare each shifted load again.
    for (std::size_t back = 1; back < kSignPlaces; ++back) {
      is_minus[back] = (is_minus[0] << back) | (minus_before >> (64 - back));
    }
  }

  // False if no cell ending in the block has a sign, the common case, which needs no more sign work. (The last
  // is_minus holds the signs of the block before that reach into this one.)
  bool has_signs() const { return is_minus[0] != 0 || is_minus[kSignPlaces - 1] != 0; }

  std::uint64_t cell_ends() const { return ~(is_digit[0] | is_minus[0]); }

  // Among `cell_bytes`, a byte that breaks the cell format: a fourth digit in a row, or a minus sign that does
  // not start its cell.
  bool has_misplaced_byte(std::uint64_t cell_bytes) const {
    const std::uint64_t fourth_digit = is_digit[0] & is_digit[1] & is_digit[2] & is_digit[3];
    const std::uint64_t minus_inside = is_minus[0] & (is_digit[1] | is_minus[1]);
    return ((fourth_digit | minus_inside) & cell_bytes) != 0;
  }

  // Marks the cell ends whose cell is negative: those with a minus just before their one, two or three digits.
  std::uint64_t negative_cell_ends() const {
    const std::uint64_t two_digits = is_digit[1] & is_digit[2];
    return (is_digit[1] & is_minus[2]) | (two_digits & is_minus[3]) | (two_digits & is_digit[3] & is_minus[4]);
  }

  // The ones, tens and hundreds digits of the cells ending at `ends`, side by side in the low bytes (0 where a
  // cell has no such digit).
  __m512i ones(std::uint64_t ends) const { return _mm512_maskz_compress_epi8(ends, digit_value[1]); }
  __m512i tens(std::uint64_t ends) const {
    return _mm512_maskz_compress_epi8(ends, _mm512_maskz_mov_epi8(is_digit[2], digit_value[2]));
  }
  __m512i hundreds(std::uint64_t ends) const {
    return _mm512_maskz_compress_epi8(ends, _mm512_maskz_mov_epi8(is_digit[2] & is_digit[3], digit_value[3]));
  }
};

// The lowest `count` (>= 1) set bits of `bits`, or all of them if there are fewer.
inline std::uint64_t lowest_set_bits(std::uint64_t bits, std::size_t count) {
  if (count >= static_cast<std::size_t>(std::popcount(bits))) return bits;
  const std::uint64_t last = _pdep_u64(std::uint64_t{1} << (count - 1), bits);
  return bits & ((last << 1) - 1);
}

// GCC 12 warns that the "undefined" vectors some AVX-512 intrinsics start from are used uninitialized (GCC bug
// 105593, fixed in GCC 13); they are not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Stores the values of `count` (<= 32) cells as floats: their ones, tens and hundreds digits side by side in the
// low bytes, and bit i of `negative` set if cell i has a minus sign. The sign is set by flipping the sign bit,
// so "-0" gives -0.0 as parse_float() does.
inline void store_short_integers(__m512i ones, __m512i tens, __m512i hundreds, std::uint32_t negative, unsigned count,
                                 float* out) {
  auto widen = [](__m512i bytes) { return _mm512_cvtepu8_epi16(_mm512_castsi512_si256(bytes)); };
  const __m512i values =
      _mm512_add_epi16(widen(ones), _mm512_add_epi16(_mm512_mullo_epi16(widen(tens), _mm512_set1_epi16(10)),
                                                     _mm512_mullo_epi16(widen(hundreds), _mm512_set1_epi16(100))));
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  auto store_16 = [&](__m256i values_16, unsigned n, std::uint32_t negative_16, float* to) {
    const __m512i magnitudes = _mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(values_16)));
    const __m512i signed_values =
        _mm512_mask_xor_epi32(magnitudes, static_cast<__mmask16>(negative_16), magnitudes, sign_bit);
    _mm512_mask_storeu_ps(to, static_cast<__mmask16>(_bzhi_u32(0xFFFF, n)), _mm512_castsi512_ps(signed_values));
  };
  store_16(_mm512_castsi512_si256(values), std::min(count, 16u), negative, out);
  if (count > 16) store_16(_mm512_extracti64x4_epi64(values, 1), count - 16, negative >> 16, out + 16);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Reads the `count` (>= 1) cells from `first` on into out[0, count). Returns the byte that ends the last cell
// (`end` if the text ends it), or nullptr if a cell is not a short integer or a cell but the last is not
// followed by the delimiter. Reads only [first, end).
const char* read_short_integer_cells(const char* const first, const char* const end, std::size_t count, char delimiter,
                                     float* out) {
  const auto low = reinterpret_cast<std::uintptr_t>(first);
  const auto high = reinterpret_cast<std::uintptr_t>(end);
  std::uint64_t minus_before = 0;
  for (std::uintptr_t block_start = low;; block_start += 64) {
    const ShortIntegerBlock block(block_start, low, high, delimiter, minus_before);
    minus_before = block.is_minus[0];
    const std::uint64_t taken = lowest_set_bits(block.cell_ends(), count);  // the ends of the cells read here
    if (taken == 0) return nullptr;                                         // 64 digits or signs in a row
    const auto taken_count = static_cast<unsigned>(std::popcount(taken));
    const bool last_block = taken_count == count;
    const auto last_end = static_cast<unsigned>(63 - std::countl_zero(taken));
    // Bytes of the cells read here, and of one running on into the next block if the row goes on.
    const std::uint64_t cell_bytes = last_block ? _bzhi_u64(~std::uint64_t{0}, last_end) : ~std::uint64_t{0};

    if ((taken & ~block.is_digit[1]) != 0) return nullptr;  // a cell that is empty or ends in its sign
    if (block.has_misplaced_byte(cell_bytes)) return nullptr;
    std::uint64_t ends_between_cells = taken & ~block.is_delimiter;
    if (last_block) ends_between_cells &= ~(std::uint64_t{1} << last_end);  // the caller judges the last end
    if (ends_between_cells != 0) return nullptr;

    // The cells are not empty, so no two ends are adjacent: at most 32 of them in a block.
    const auto negative =
        block.has_signs() ? static_cast<std::uint32_t>(_pext_u64(block.negative_cell_ends(), taken)) : 0u;
    store_short_integers(block.ones(taken), block.tens(taken), block.hundreds(taken), negative, taken_count, out);
    if (last_block) return first + (block_start - low) + last_end;
    out += taken_count;
    count -= taken_count;
  }
}

// The fast path for a row of short integers (see above) and a target, when the features are all the other
// columns in file order. Same contract as append_simple_row().
bool append_short_integer_row(Tokenizer& tokenizer, const ColumnLayout& layout, RowWriter& rows) {
  const std::string_view rest = tokenizer.rest();
  const char* const begin = rest.data();
  const char* const end = begin + rest.size();
  const char delimiter = tokenizer.delimiter();
  const std::size_t cells_before_target = layout.target_index;
  const std::size_t cells_after_target = layout.header.size() - layout.target_index - 1;
  float* const row = rows.next_row_features();

  const char* target_start = begin;
  if (cells_before_target > 0) {
    const char* const cells_end = read_short_integer_cells(begin, end, cells_before_target, delimiter, row);
    if (cells_end == nullptr || cells_end == end || *cells_end != delimiter) return false;
    target_start = cells_end + 1;
  }
  const char* const target_end = tokenizer.scan_unquoted(target_start, end);
  const std::string_view target(target_start, static_cast<std::size_t>(target_end - target_start));
  if (!is_plain_target(target, tokenizer)) return false;
  const char* record_end = target_end;
  if (cells_after_target > 0) {
    if (target_end == end || *target_end != delimiter) return false;
    record_end =
        read_short_integer_cells(target_end + 1, end, cells_after_target, delimiter, row + cells_before_target);
    if (record_end == nullptr) return false;
  }
  // Anything but a line end here is a quote, a NUL, or a delimiter starting one cell too many.
  if (record_end != end && *record_end != '\n' && *record_end != '\r') return false;

  rows.commit(target, tokenizer.line());
  tokenizer.finish_simple_record(static_cast<std::size_t>(record_end - begin));
  return true;
}

// Whether rows of this layout may take append_short_integer_row(): a delimiter that is a digit or '-' would read
// as part of a number.
bool short_integer_rows_possible(const ColumnLayout& layout, char delimiter) {
  return layout.features_are_the_other_columns && !is_digit(delimiter) && delimiter != '-';
}
#endif

// The fast path, cell by cell, for any layout and any number format.
bool append_simple_row_by_cells(Tokenizer& tokenizer, const ColumnLayout& layout, RowWriter& rows) {
  const std::string_view rest = tokenizer.rest();
  const char* const begin = rest.data();
  const char* const end = begin + rest.size();
  const char delimiter = tokenizer.delimiter();
  const std::size_t columns = layout.header.size();
  float* const row = rows.next_row_features();
  std::string_view target;

  // Converts one cell as its column's role asks; false if the fast path cannot take it.
  const std::int32_t* const roles = layout.role.data();
  auto take_cell = [&](std::size_t column_index, const char* cell_start, const char* cell_end) {
    const std::int32_t role = roles[column_index];
    if (role >= 0) return parse_number_cell(cell_start, cell_end, end, row[role]);
    if (role == kTargetColumn) {
      target = std::string_view(cell_start, static_cast<std::size_t>(cell_end - cell_start));
      return is_plain_target(target, tokenizer);
    }
    return true;
  };

  CellEndFinder finder(begin, end, tokenizer);
  const char* cell_start = begin;
  for (std::size_t column_index = 0; column_index + 1 < columns; ++column_index) {
    const char* const cell_end = finder.next();
    // Anything but the delimiter here is a quote, a NUL, or the end of a line with too few cells.
    if (cell_end == end || *cell_end != delimiter) return false;
    if (!take_cell(column_index, cell_start, cell_end)) return false;
    cell_start = cell_end + 1;
  }
  const char* const record_end = finder.next();
  // Anything but a line end here is a quote, a NUL, or a delimiter starting one cell too many.
  if (record_end != end && *record_end != '\n' && *record_end != '\r') return false;
  if (!take_cell(columns - 1, cell_start, record_end)) return false;

  rows.commit(target, tokenizer.line());
  tokenizer.finish_simple_record(static_cast<std::size_t>(record_end - begin));
  return true;
}

// Whether to try the short-integer fast path on the next row. The rows of a file tend to look alike, and on
// rows it cannot take (short rows of decimals, say) the attempt costs about a tenth of the row's time. So after
// it fails, it sits out a number of rows that doubles with each failure in a row, up to kMaxRowsSkipped, and is
// back on every row once it succeeds. Which fast path reads a row never changes the result.
class ShortIntegerRowsHint {
 public:
  bool worth_trying() {
    if (rows_to_skip_ == 0) return true;
    --rows_to_skip_;
    return false;
  }

  void record(bool succeeded) {
    if (succeeded) {
      skip_after_failure_ = 1;
      return;
    }
    rows_to_skip_ = skip_after_failure_;
    skip_after_failure_ = std::min(2 * skip_after_failure_, kMaxRowsSkipped);
  }

 private:
  static constexpr std::size_t kMaxRowsSkipped = 256;
  std::size_t rows_to_skip_ = 0;
  std::size_t skip_after_failure_ = 1;
};

// What a reader keeps from one row to the next: the general path's fields, and the fast paths' hint.
struct RowScratch {
  std::vector<Field> fields;
  ShortIntegerRowsHint short_integer_rows;
};

// The fast path, for the common record shape: one line, no quotes, no padding to trim, every feature a valid
// number, a target that is not empty. Returns false, leaving the tokenizer where it was and nothing committed,
// for any other record; the general path then reads it, and reports the precise error if there is one. It
// accepts only what the general path accepts, with the same values.
bool append_simple_row(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint, RowWriter& rows) {
  if (tokenizer.rest().empty()) return false;  // no row to make room for: a chunk's slice may be full
#if defined(BNRUN_CSV_SHORT_INTEGER_BLOCKS)
  if (short_integer_rows_possible(layout, tokenizer.delimiter()) && hint.worth_trying()) {
    const bool read = append_short_integer_row(tokenizer, layout, rows);
    hint.record(read);
    if (read) return true;
  }
#else
  (void)hint;
#endif
  return append_simple_row_by_cells(tokenizer, layout, rows);
}

// Appends the next data record to `rows`; false at the end of the data.
bool append_next_row(Tokenizer& tokenizer, RowScratch& scratch, const ColumnLayout& layout,
                     const Diagnostics& diagnostics, RowWriter& rows) {
  if (append_simple_row(tokenizer, layout, scratch.short_integer_rows, rows)) return true;
  if (!tokenizer.next_record(scratch.fields)) return false;
  append_general_row(scratch.fields, layout, diagnostics, rows);
  return true;
}

// Faults in the pages of a large, freshly reserved buffer with one system call. Touching them one at a time
// costs a trap per page, which on virtual machines is a sizable part of the parse time. Only advice: on
// kernels without MADV_POPULATE_WRITE (before Linux 5.14) nothing happens, and the pages fault in as used.
void prefault_for_writing(const void* data, std::size_t bytes) {
#if defined(MADV_POPULATE_WRITE)
  constexpr std::size_t kWorthwhileBytes = std::size_t{16} << 20;
  if (bytes < kWorthwhileBytes) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first_page = (address + page - 1) & ~(page - 1);
  const std::uintptr_t end_page = (address + bytes) & ~(page - 1);
  if (end_page > first_page) {
    ::madvise(reinterpret_cast<void*>(first_page), end_page - first_page, MADV_POPULATE_WRITE);
  }
#else
  (void)data;
  (void)bytes;
#endif
}

// Reserves room for the rows still to come, judged by the size of the first data row. Never more than the
// rest of the text could hold: each row needs a delimiter per column and a character per used cell.
void reserve_rows(CsvTable& table, const ColumnLayout& layout, std::size_t first_row_bytes,
                  std::size_t remaining_bytes) {
  const std::size_t columns = layout.header.size();
  const std::size_t width = layout.feature_names.size();
  const std::size_t most_rows = remaining_bytes / (columns + width) + 2;
  const std::size_t estimate = remaining_bytes / std::max<std::size_t>(first_row_bytes, 1);
  const std::size_t rows = table.rows + std::min(most_rows, estimate + estimate / 16 + 2);
  table.features.reserve(rows * width);
  table.targets.reserve(rows);
  table.line_numbers.reserve(rows);
  const std::size_t used = table.features.size();
  prefault_for_writing(table.features.data() + used, (table.features.capacity() - used) * sizeof(float));
}

// Reads the records left in `tokenizer` one after the other, appending them to the table.
void read_rows_serially(Tokenizer& tokenizer, RowScratch& scratch, const ColumnLayout& layout,
                        const Diagnostics& diagnostics, std::size_t first_row_bytes, CsvTable& table) {
  reserve_rows(table, layout, first_row_bytes, tokenizer.size() - tokenizer.position());
  const std::size_t width = layout.feature_names.size();
  RowWriter rows = RowWriter::appending(table, width);
  while (append_next_row(tokenizer, scratch, layout, diagnostics, rows)) {
  }
  set_row_count(table, width, rows.end_of_written_rows());
}

// ---------------------------------------------------------------------------------------------------------
// Reading in parallel.
//
// The text after the first data row is cut at line starts into one chunk per thread; each thread reads its
// chunk with a Tokenizer of its own, straight into its slice of the table. That is exact only for a text
// without quotes: then every line break ends a record, so a cut at a line start is a record boundary, a
// chunk's line count bounds its rows, and the line breaks before a chunk give the line it starts on. A text
// with a quote anywhere is read serially. Rows and errors come out as the serial reader's, for any thread count.

struct Chunk {
  std::string_view text;  // whole lines: it ends just after a line feed, or at the end of the text
  std::size_t lines = 0;  // physical lines starting in it; without quotes each is a record or blank
  bool has_quote = false;
  std::size_t first_line = 0;  // 1-based physical line the chunk starts on
  std::size_t first_row = 0;   // table index of its first row; its slice holds `lines` rows
  std::size_t rows = 0;        // rows read: fewer than `lines` if the chunk ends in blank lines
  std::exception_ptr error;    // the first error in the chunk (errors cannot leave an OpenMP thread)
};

// One chunk per thread, as long as each gets at least minimum_parallel_work() bytes. Bytes are the unit of
// work here: a byte costs a few multiply-adds' worth to parse, so this errs on the serial side.
std::size_t worthwhile_chunk_count(std::size_t bytes) {
  return std::min(bytes / kernels::minimum_parallel_work(), static_cast<std::size_t>(kernels::thread_count()));
}

// Calls work(chunk) for every chunk, the chunks shared out over the threads.
template <class Work>
void for_each_chunk(std::vector<Chunk>& chunks, std::size_t total_bytes, Work&& work) {
  const std::size_t bytes_per_chunk = (total_bytes + chunks.size() - 1) / chunks.size();
  kernels::parallel_for_blocks(chunks.size(), bytes_per_chunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) work(chunks[i]);
  });
}

// The first line start at or after `position`: just after a line feed. Lone CRs start lines too, but cutting
// only at line feeds never separates a CRLF pair; a file with only CR line ends simply stays one chunk.
std::size_t line_start_at_or_after(std::string_view text, std::size_t position) {
  if (position == 0) return 0;
  const char* const from = text.data() + position - 1;
  const void* const line_feed = std::memchr(from, '\n', text.size() - (position - 1));
  return line_feed == nullptr ? text.size()
                              : static_cast<std::size_t>(static_cast<const char*>(line_feed) - text.data()) + 1;
}

// Cuts `text` into `count` chunks of about equal size at line starts (a chunk may be empty if lines are long).
std::vector<Chunk> cut_at_line_starts(std::string_view text, std::size_t count) {
  std::vector<Chunk> chunks(count);
  std::size_t begin = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t target = text.size() * (k + 1) / count;
    const std::size_t end = k + 1 == count ? text.size() : line_start_at_or_after(text, std::max(begin, target));
    chunks[k].text = text.substr(begin, end - begin);
    begin = end;
  }
  return chunks;
}

// The bytes the chunk survey looks for, found in one pass: the survey is bound by memory bandwidth, so three
// separate memchr-style passes would take three times as long.
struct ByteCensus {
  std::size_t line_feeds = 0;
  bool has_carriage_return = false;
  bool has_quote = false;
};

ByteCensus take_census(std::string_view text) {
  ByteCensus census;
  const char* p = text.data();
  const char* const end = p + text.size();
#if defined(__SSE2__)
  const __m128i line_feed = _mm_set1_epi8('\n');
  const __m128i carriage_return = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  __m128i rare_bytes = _mm_setzero_si128();  // where a CR or a quote was seen
  for (; end - p >= 16; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto line_feed_bits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, line_feed)));
    census.line_feeds += static_cast<std::size_t>(std::popcount(line_feed_bits));
    rare_bytes = _mm_or_si128(rare_bytes, _mm_cmpeq_epi8(bytes, carriage_return));
    rare_bytes = _mm_or_si128(rare_bytes, _mm_cmpeq_epi8(bytes, quote));
  }
  if (_mm_movemask_epi8(rare_bytes) != 0) {  // rare indeed: tell the two apart the slow way
    const auto scanned = static_cast<std::size_t>(p - text.data());
    census.has_carriage_return = std::memchr(text.data(), '\r', scanned) != nullptr;
    census.has_quote = std::memchr(text.data(), '"', scanned) != nullptr;
  }
#endif
  for (; p != end; ++p) {
    census.line_feeds += *p == '\n';
    census.has_carriage_return |= *p == '\r';
    census.has_quote |= *p == '"';
  }
  return census;
}

std::size_t count_lone_carriage_returns(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1)) {
    if (i + 1 == text.size() || text[i + 1] != '\n') ++count;
  }
  return count;
}

// Counts the chunk's physical lines as the Tokenizer does (LF, CRLF and a lone CR each end one; an
// unterminated last line counts too) and notes whether it holds a quote.
void survey_chunk(Chunk& chunk) {
  const std::string_view text = chunk.text;
  const ByteCensus census = take_census(text);
  chunk.has_quote = census.has_quote;
  chunk.lines = census.line_feeds;
  if (census.has_carriage_return) chunk.lines += count_lone_carriage_returns(text);
  if (!text.empty() && text.back() != '\n' && text.back() != '\r') ++chunk.lines;
}

// Gives each chunk the line it starts on and the first row of its slice of the table.
void place_chunks(std::vector<Chunk>& chunks, std::size_t first_line, std::size_t first_row) {
  for (Chunk& chunk : chunks) {
    chunk.first_line = first_line;
    chunk.first_row = first_row;
    first_line += chunk.lines;
    first_row += chunk.lines;
  }
}

// Sizes the table's vectors for `rows` rows. The chunk threads first fault in the feature pages, each its own
// slice: that is kernel work (zeroing pages, one trap each) which for the 188 MB of Fashion-MNIST took ~60 ms
// in one thread and ~30 ms in two. The resize must come after it, as it writes every value once.
void size_table_for_chunks(CsvTable& table, std::size_t width, std::size_t rows, std::vector<Chunk>& chunks,
                           std::size_t total_bytes) {
  table.features.reserve(rows * width);
  float* const features = table.features.data();
  for_each_chunk(chunks, total_bytes, [&](const Chunk& chunk) {
    prefault_for_writing(features + chunk.first_row * width, chunk.lines * width * sizeof(float));
  });
  table.features.resize(rows * width);
  table.targets.resize(rows);
  table.line_numbers.resize(rows);
}

void read_chunk(Chunk& chunk, const ColumnLayout& layout, const Diagnostics& diagnostics, char delimiter,
                CsvTable& table) {
  try {
    Tokenizer tokenizer(chunk.text, delimiter, diagnostics, chunk.first_line);
    RowWriter rows = RowWriter::into_slice(table, layout.feature_names.size(), chunk.first_row, chunk.lines);
    RowScratch scratch;
    while (append_next_row(tokenizer, scratch, layout, diagnostics, rows)) {
    }
    chunk.rows = rows.rows_written();
  } catch (...) {
    chunk.error = std::current_exception();
  }
}

// Throws the error the serial reader would have met first, if any; returns the number of rows read. A chunk
// sees only its own text, so a chunk ending in blank lines cannot tell that more data follows: that is a
// blank line in the middle of the file, and it comes before anything a later chunk reports.
std::size_t rows_read_in_file_order(const std::vector<Chunk>& chunks, const Diagnostics& diagnostics) {
  std::optional<std::size_t> blank_tail_line;  // where the blank lines at the end of a chunk start
  std::size_t rows = 0;
  for (const Chunk& chunk : chunks) {
    if (blank_tail_line && (chunk.rows > 0 || chunk.error)) diagnostics.fail_blank_line(*blank_tail_line);
    if (chunk.error) std::rethrow_exception(chunk.error);
    // Without quotes each of the chunk's lines up to its first blank one holds one record.
    if (!blank_tail_line && chunk.rows < chunk.lines) blank_tail_line = chunk.first_line + chunk.rows;
    rows += chunk.rows;
  }
  return rows;
}

// Reads the rest of the data, which starts at a record boundary on the tokenizer's current line, in parallel
// chunks. Returns false, having read nothing, if it is too little to be worth it or holds a quote.
bool read_rows_in_parallel(const Tokenizer& tokenizer, const ColumnLayout& layout, const Diagnostics& diagnostics,
                           CsvTable& table) {
  const std::string_view text = tokenizer.rest();
  const std::size_t chunk_count = worthwhile_chunk_count(text.size());
  if (chunk_count < 2) return false;
  std::vector<Chunk> chunks = cut_at_line_starts(text, chunk_count);
  for_each_chunk(chunks, text.size(), survey_chunk);
  if (std::any_of(chunks.begin(), chunks.end(), [](const Chunk& chunk) { return chunk.has_quote; })) return false;

  const std::size_t width = layout.feature_names.size();
  place_chunks(chunks, tokenizer.line(), table.rows);
  size_table_for_chunks(table, width, chunks.back().first_row + chunks.back().lines, chunks, text.size());
  for_each_chunk(chunks, text.size(),
                 [&](Chunk& chunk) { read_chunk(chunk, layout, diagnostics, tokenizer.delimiter(), table); });
  set_row_count(table, width, table.rows + rows_read_in_file_order(chunks, diagnostics));
  return true;
}

void validate_options(const CsvOptions& options, const Diagnostics& diagnostics) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == '\0') {
    diagnostics.fail_file("invalid CSV delimiter " + describe_byte(d) + " (it cannot be a quote, a line break or NUL)");
  }
}

std::string_view skip_utf8_bom(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  return text;
}

// ---------------------------------------------------------------------------------------------------------
// Getting the file into memory.

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string error_text(int error_number) {
  return std::generic_category().message(error_number);
}

// The whole file in memory. A regular file is mapped, not read: that makes no copy, and the threads that
// parse it fault its pages in in parallel (read() copies into its buffer in one thread: 75 ms of the old 0.33 s
// for Fashion-MNIST, against ~4 ms of faults per thread). The mapping is private and read-only. As with any
// mapping, a file cut short by another process while it is read raises SIGBUS. Pipes, empty files and files
// whose size is unknown (procfs) are read into a buffer.
class FileContents {
 public:
  static FileContents load(const std::string& path, const Diagnostics& diagnostics);

  FileContents(FileContents&& other) noexcept
      : mapping_(std::exchange(other.mapping_, nullptr)), buffer_(std::move(other.buffer_)), size_(other.size_) {}
  FileContents& operator=(FileContents&&) = delete;
  ~FileContents() {
    if (mapping_ != nullptr) ::munmap(mapping_, size_);
  }

  std::string_view text() const {
    return {mapping_ != nullptr ? static_cast<const char*>(mapping_) : buffer_.get(), size_};
  }

 private:
  FileContents() = default;
  bool try_map(int fd, std::size_t size);
  void read_all(int fd, std::size_t size_hint, const Diagnostics& diagnostics);

  void* mapping_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::size_t size_ = 0;
};

FileContents FileContents::load(const std::string& path, const Diagnostics& diagnostics) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) diagnostics.fail_file("cannot open file: " + error_text(errno));
  const FileDescriptor file(fd);
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) diagnostics.fail_file("cannot open file: " + error_text(errno));

  FileContents contents;
  const bool regular = S_ISREG(status.st_mode);
  const auto size = static_cast<std::size_t>(status.st_size);
  if (!(regular && size > 0 && contents.try_map(file.get(), size))) {
    contents.read_all(file.get(), regular ? size : 0, diagnostics);
  }
  return contents;
}

bool FileContents::try_map(int fd, std::size_t size) {
  void* const mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) return false;
  // Only advice: read all of it ahead now if it is not cached, as the threads go through it from several places
  // at once. (MADV_SEQUENTIAL and MAP_POPULATE measured no faster for a cached file.)
  ::madvise(mapping, size, MADV_WILLNEED);
  mapping_ = mapping;
  size_ = size;
  return true;
}

// One read() when the size is known (one byte spare so EOF needs no regrowth); otherwise the buffer grows as
// it fills.
void FileContents::read_all(int fd, std::size_t size_hint, const Diagnostics& diagnostics) {
  std::size_t capacity = size_hint > 0 ? size_hint + 1 : 1 << 16;
  buffer_ = std::make_unique_for_overwrite<char[]>(capacity);
  size_ = 0;
  while (true) {
    if (size_ == capacity) {
      capacity *= 2;
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(grown.get(), buffer_.get(), size_);
      buffer_ = std::move(grown);
    }
    const ssize_t count = ::read(fd, buffer_.get() + size_, capacity - size_);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) diagnostics.fail_file("cannot read file: " + error_text(errno));
    if (count == 0) return;
    size_ += static_cast<std::size_t>(count);
  }
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& path, const CsvOptions& options) {
  Diagnostics diagnostics(path);
  validate_options(options, diagnostics);
  text = skip_utf8_bom(text);

  Tokenizer tokenizer(text, options.delimiter, diagnostics);
  RowScratch scratch;
  const ColumnLayout layout =
      resolve_columns(read_header(tokenizer, scratch.fields, diagnostics), options, diagnostics);
  diagnostics.set_column_names(&layout.header);

  CsvTable table;
  table.path = path;
  table.feature_names = layout.feature_names;
  table.target_name = layout.target_index < layout.header.size() ? layout.header[layout.target_index] : "";

  // The first data row is read alone: it tells whether there is any data, and its size estimates the rest.
  const std::size_t width = layout.feature_names.size();
  const std::size_t first_row_start = tokenizer.position();
  RowWriter first_row = RowWriter::appending(table, width);
  if (!append_next_row(tokenizer, scratch, layout, diagnostics, first_row)) {
    diagnostics.fail_file("the file has a header but no data rows");
  }
  set_row_count(table, width, first_row.end_of_written_rows());

  if (!read_rows_in_parallel(tokenizer, layout, diagnostics, table)) {
    read_rows_serially(tokenizer, scratch, layout, diagnostics, tokenizer.position() - first_row_start, table);
  }
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  Diagnostics diagnostics(path);
  validate_options(options, diagnostics);  // before reading a possibly large file
  const FileContents contents = FileContents::load(path, diagnostics);
  return parse_csv(contents.text(), path, options);
}

}  // namespace bnrun::data
