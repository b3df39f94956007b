// What the CSV differential tests (test_csv_paths.cpp) and the CSV fuzz target (tests/fuzz/csv_fuzzer.cpp)
// compare between code paths, and the fuzz input format both read, in one place so the two cannot drift apart.
//
// A fuzz input is an options line, then the CSV text. The options line's first byte is the delimiter (any
// byte, so the invalid ones are tried too), its second picks the target column, its third how feature columns
// are listed (see options_from_line). Column names are taken from the text's own first line, so most inputs ask
// for columns that exist and reach the header-matching paths instead of stopping at "not in the header".
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/csv.h"

namespace bnrun::csv_testing {

// Each row's target text and the line it starts on, which CsvTable keeps coded, spelled out row by row.
inline std::vector<std::string> targets_by_row(const data::CsvTable& table) {
  std::vector<std::string> targets;
  for (std::size_t row = 0; row < table.rows; ++row) targets.emplace_back(table.target(row));
  return targets;
}
inline std::vector<std::size_t> lines_by_row(const data::CsvTable& table) {
  std::vector<std::size_t> lines;
  for (std::size_t row = 0; row < table.rows; ++row) lines.push_back(table.line(row));
  return lines;
}

// The table as text, features as bit patterns (so that -0 and 0 differ, and equal text means equal bits), with
// the distinct target texts in their coded order: every path must code them alike.
inline std::string table_as_text(const data::CsvTable& table) {
  std::string out = "table:" + table.target_name;
  for (const std::string& name : table.feature_names) out += "|" + name;
  out += "\ntarget values:";
  for (const std::string& value : table.target_values) out += "|" + value;
  const std::size_t width = table.feature_names.size();
  for (std::size_t i = 0; i < table.rows; ++i) {
    out += "\n" + std::to_string(table.line(i)) + ":" + std::string(table.target(i));
    for (std::size_t j = 0; j < width; ++j) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &table.features[i * width + j], sizeof bits);
      out += "," + std::to_string(bits);
    }
  }
  return out;
}

// Everything parse_csv gives for `text`: the table as text, or "error:" and the message.
inline std::string outcome(std::string_view text, const data::CsvOptions& options) {
  try {
    return table_as_text(data::parse_csv(text, "data.csv", options));
  } catch (const UserError& error) {
    return std::string("error:") + error.what();
  }
}

// The fields of the first line, split naively at the delimiter: near enough to the real header that the
// names usually match, and when they do not, the reader's "not in the header" path is tested instead.
inline std::vector<std::string> naive_header(std::string_view text, char delimiter) {
  const std::size_t line_end = text.find_first_of("\r\n");
  const std::string_view line = text.substr(0, line_end);
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    std::string_view name = line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    names.emplace_back(name);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return names;
}

// Options line "DTF": D the delimiter; T '-' for no target column, '?' for a name not in the header, else the
// header field T % 16 (a digit '3' is field 3); F '*' (or absent) for all other columns as features, 'r' for
// them in reverse order, '1' for only the first other column, 't' to list the target as a feature too, 'd' to
// list a feature twice.
inline data::CsvOptions options_from_line(std::string_view options_line, std::string_view text) {
  data::CsvOptions options;
  if (!options_line.empty()) options.delimiter = options_line[0];
  const std::vector<std::string> header = naive_header(text, options.delimiter);
  const char target_choice = options_line.size() > 1 ? options_line[1] : '0';
  std::size_t target_index = header.size();
  if (target_choice == '?') {
    options.target_column = "no such column";
  } else if (target_choice != '-') {
    const auto field = static_cast<unsigned char>(target_choice) >= '0' && target_choice <= '9'
                           ? static_cast<std::size_t>(target_choice - '0')
                           : static_cast<std::size_t>(static_cast<unsigned char>(target_choice) % 16);
    target_index = field % header.size();
    options.target_column = header[target_index];
  }
  std::vector<std::string> others;
  for (std::size_t i = 0; i < header.size(); ++i)
    if (i != target_index) others.push_back(header[i]);
  const char feature_choice = options_line.size() > 2 ? options_line[2] : '*';
  switch (feature_choice) {
    case 'r':
      options.feature_columns.assign(others.rbegin(), others.rend());
      break;
    case '1':
      if (!others.empty()) options.feature_columns = {others.front()};
      break;
    case 't':
      options.feature_columns = others;
      options.feature_columns.push_back(options.target_column);
      break;
    case 'd':
      options.feature_columns = others;
      if (!others.empty()) options.feature_columns.push_back(others.back());
      break;
    default:
      break;
  }
  return options;
}

// A fuzz input split into its CSV text and the options its first line asks for.
struct FuzzCase {
  std::string_view text;
  data::CsvOptions options;
};

inline FuzzCase fuzz_case(std::string_view input) {
  const std::size_t options_end = input.find('\n');
  const std::string_view options_line = input.substr(0, std::min<std::size_t>(options_end, 3));
  const std::string_view text = options_end == std::string_view::npos ? "" : input.substr(options_end + 1);
  return {text, options_from_line(options_line, text)};
}

}  // namespace bnrun::csv_testing
