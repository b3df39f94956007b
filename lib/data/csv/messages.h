// How the CSV reader words its errors: user text quoted (escaped as core/printable.h says, and cut short), and
// every failure thrown as a bnrun::UserError "<path>:<line>:<column>: <what>" or "<path>: <what>".
//
// Tests compare these messages byte for byte, and every reading path (reference or fast) reports through this
// one class, which is what makes their errors comparable at all.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bnrun::data::csv {

// `text` in the given quotes, escaped and truncated to 40 characters ("..." after the closing quote marks a cut).
std::string quoted(std::string_view text, char quote = '"');

// A column or other name in single quotes: 'sepal_width'.
std::string name_in_quotes(std::string_view name);

// A byte for a message: 'x' if it is printable and unambiguous in single quotes, else \xNN.
std::string describe_byte(char c);

// "'a', 'b', 'c'" — at most the first ten, then "... (N more)".
std::string list_columns(const std::vector<std::string>& names);

// Error reporting with file positions.
class Diagnostics {
 public:
  explicit Diagnostics(const std::string& path);

  // Once the header is known, cell messages name columns by their header name. `names` must outlive this.
  void set_column_names(const std::vector<std::string>* names) { column_names_ = names; }

  [[noreturn]] void fail_file(const std::string& what) const;
  [[noreturn]] void fail_at(std::size_t line, std::size_t column_index, const std::string& what) const;
  [[noreturn]] void fail_blank_line(std::size_t line) const;

  // "column 'sepal_width'", or "header field 3" while the header itself is being read.
  std::string column(std::size_t column_index) const;

 private:
  std::string path_;
  const std::vector<std::string>* column_names_ = nullptr;
};

}  // namespace bnrun::data::csv
