// libFuzzer target for the CSV reader (data::parse_csv).
//
// Input: an options line, then the CSV text, as tests/data/csv_outcome.h reads them (the options line picks
// the delimiter, the target column and how feature columns are listed).
//
// Besides crashes and sanitizer reports, three things abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a table whose parts disagree (vector sizes, line numbers out of order, a feature that is not finite);
//   - the reader's promise broken: every fast code path this CPU can run, in one thread and in two threads
//     splitting even the smallest text, must give the reference path's table bit for bit, or its error message
//     byte for byte; and so must the same text with padding added around every cell (which the reader trims),
//     which sends every row from the fast paths to the general one.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../data/csv_outcome.h"
#include "core/error.h"
#include "data/csv.h"
#include "fuzz_support.h"

namespace {

using bnrun::fuzz::finding;

using bnrun::data::CsvOptions;
using bnrun::data::CsvPath;
using bnrun::data::CsvTable;

void check_consistent(const CsvTable& table) {
  const std::size_t width = table.feature_names.size();
  if (table.features.size() != table.rows * width || table.target_codes.size() != table.rows || table.rows == 0 ||
      width == 0) {
    finding("table sizes disagree", std::to_string(table.rows) + " rows, " + std::to_string(width) + " features");
  }
  for (const std::uint32_t code : table.target_codes)
    if (code >= table.target_values.size()) finding("a target code has no value", std::to_string(code));
  for (std::size_t i = 1; i < table.rows; ++i)
    if (table.line(i) <= table.line(i - 1)) finding("line numbers out of order", "");
  for (const float value : table.features)
    if (!std::isfinite(value)) finding("a feature is not finite", bnrun::csv_testing::table_as_text(table));
}

// The table as text (features as bit patterns), or the error message: what must not depend on how it was read.
std::string outcome(std::string_view text, CsvOptions options, CsvPath path, int threads) {
  options.code_path = path;
  options.compute = {.threads = threads, .minimum_parallel_work = 1};  // two threads split even the smallest text
  try {
    const CsvTable table = bnrun::data::parse_csv(text, "fuzz.csv", options);
    check_consistent(table);
    return bnrun::csv_testing::table_as_text(table);
  } catch (const bnrun::UserError& error) {
    return std::string("error:") + error.what();
  }
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
  static const std::vector<CsvPath> paths = bnrun::data::supported_csv_paths();
  const auto [text, options] =
      bnrun::csv_testing::fuzz_case(std::string_view(reinterpret_cast<const char*>(data), size));

  const std::string reference = outcome(text, options, CsvPath::reference, 1);
  for (const CsvPath path : paths) {
    if (path == CsvPath::reference) continue;
    for (const int threads : {1, 2}) {
      const std::string fast = outcome(text, options, path, threads);
      if (fast != reference) {
        finding(("the " + std::string(bnrun::data::csv_path_name(path)) + " path with " + std::to_string(threads) +
                 " thread(s) disagrees with the reference")
                    .c_str(),
                reference + "\n---\n" + fast);
      }
    }
  }

  const std::string padded_text = padded(text, options.delimiter);
  if (!padded_text.empty()) {
    const std::string general = outcome(padded_text, options, paths.back(), 1);
    if (general != reference) finding("padding around the cells changed the outcome", reference + "\n---\n" + general);
  }
  return 0;
}
