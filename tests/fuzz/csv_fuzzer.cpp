// libFuzzer target for the CSV reader (data::parse_csv).
//
// Input: an options line, then the CSV text. The options line's first byte is the delimiter (any byte, so
// the invalid ones are tried too), its second picks the target column, its third how feature columns are
// listed (see options_from). Column names are taken from the text's own first line, so most inputs ask for
// columns that exist and reach the header-matching paths instead of stopping at "not in the header".
//
// Besides crashes and sanitizer reports, three things abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a table whose parts disagree (vector sizes, line numbers out of order, a feature that is not finite);
//   - the reader's promise broken: the same table, or the same error message, for one thread and for two
//     threads splitting even the smallest text, and for the same text with padding added around every cell
//     (which the reader trims), which sends every row from the fast paths to the general one.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/csv.h"
#include "kernels/parallel.h"

namespace {

using bnrun::data::CsvOptions;
using bnrun::data::CsvTable;

// The fields of the first line, split naively at the delimiter: near enough to the real header that the
// names usually match, and when they do not, the reader's "not in the header" path is tested instead.
std::vector<std::string> naive_header(std::string_view text, char delimiter) {
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
CsvOptions options_from(std::string_view options_line, std::string_view text) {
  CsvOptions options;
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

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "csv_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// The table as text (features as bit patterns), or the error message: what must not depend on how it was read.
std::string outcome(std::string_view text, const CsvOptions& options, int threads) {
  const std::size_t default_minimum_work = bnrun::kernels::minimum_parallel_work();
  bnrun::kernels::set_thread_count(threads);
  if (threads > 1) bnrun::kernels::set_minimum_parallel_work(1);
  std::string result;
  try {
    const CsvTable table = bnrun::data::parse_csv(text, "fuzz.csv", options);
    const std::size_t width = table.feature_names.size();
    if (table.features.size() != table.rows * width || table.targets.size() != table.rows ||
        table.line_numbers.size() != table.rows || table.rows == 0 || width == 0) {
      finding("table sizes disagree", std::to_string(table.rows) + " rows, " + std::to_string(width) + " features");
    }
    for (std::size_t i = 1; i < table.rows; ++i)
      if (table.line_numbers[i] <= table.line_numbers[i - 1]) finding("line numbers out of order", "");
    result = "table:" + table.target_name;
    for (const std::string& name : table.feature_names) result += "|" + name;
    for (std::size_t i = 0; i < table.rows; ++i) {
      result += "\n" + std::to_string(table.line_numbers[i]) + ":" + table.targets[i];
      for (std::size_t j = 0; j < width; ++j) {
        const float value = table.features[i * width + j];
        if (!std::isfinite(value)) finding("a feature is not finite", result);
        std::uint32_t bits = 0;
        std::memcpy(&bits, &value, sizeof bits);
        result += "," + std::to_string(bits);
      }
    }
  } catch (const bnrun::UserError& error) {
    result = std::string("error:") + error.what();
  }
  bnrun::kernels::set_thread_count(0);
  bnrun::kernels::set_minimum_parallel_work(default_minimum_work);
  return result;
}

// `text` with a padding byte added before every delimiter and line end, or "" when that could change its
// meaning: inside quotes padding is content. Padding is a space, or a tab when the space is the delimiter.
std::string padded(std::string_view text, char delimiter) {
  if (text.find('"') != std::string_view::npos) return "";
  const char padding = delimiter == ' ' ? '\t' : ' ';
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::string out;
  if (text.substr(0, kBom.size()) == kBom) {
    out += kBom;
    text.remove_prefix(kBom.size());
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ends_cell = c == delimiter || c == '\r' || (c == '\n' && (i == 0 || text[i - 1] != '\r'));
    if (ends_cell) out += padding;
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t options_end = input.find('\n');
  const std::string_view options_line = input.substr(0, std::min<std::size_t>(options_end, 3));
  const std::string_view text = options_end == std::string_view::npos ? "" : input.substr(options_end + 1);
  const CsvOptions options = options_from(options_line, text);

  const std::string serial = outcome(text, options, 1);
  const std::string parallel = outcome(text, options, 2);
  if (parallel != serial) finding("one thread and two threads disagree", serial + "\n---\n" + parallel);

  const std::string padded_text = padded(text, options.delimiter);
  if (!padded_text.empty()) {
    const std::string general = outcome(padded_text, options, 1);
    if (general != serial) finding("padding around the cells changed the outcome", serial + "\n---\n" + general);
  }
  return 0;
}
