// Strict CSV reader for numeric feature tables with one text label column.
//
// Accepts RFC 4180 CSV: the first record is the header; fields may be quoted with '"' ("" is a literal quote,
// quoted fields may hold the delimiter and line breaks); records end at LF, CRLF or a lone CR; a UTF-8 BOM is
// skipped; cell text is trimmed of surrounding spaces and tabs (inside quotes too, unless the delimiter is one
// of them); blank lines are allowed only at the end of the file. Feature cells must be finite numbers that fit
// a float (a leading '+' is allowed); the target cell is kept as text.
//
// It is strict on purpose: a training run on silently misread data (a shifted column, a NaN, a half-parsed
// number) fails far from the cause, so every irregularity is rejected with a one-line bnrun::UserError of the
// form "<path>:<line>:<column>: <what>" (line = 1-based physical line, column = 1-based field index), or
// "<path>: <what>" for problems with the file as a whole.
//
// The implementation lives in data/csv/ (a folder per concern: tokenizer, numbers, fast paths, chunking, file
// access, messages); this header is all a caller needs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/aligned.h"
#include "core/content_identity.h"
#include "kernels/parallel.h"

namespace bnrun::data {

// Which code reads the rows. `reference` is the format's plain, portable definition: the byte-by-byte
// tokenizer and std::from_chars, in one thread. The others are the fast paths for a cpu::Level (SWAR number
// parsing, SIMD row scanners, parallel chunks), chosen at run time; each gives the reference's table, or its
// error message, bit for bit.
enum class CsvPath { reference, baseline, avx2, avx512 };

inline constexpr std::array<std::pair<CsvPath, std::string_view>, 4> csv_path_names = {
    {{CsvPath::reference, "reference"},
     {CsvPath::baseline, "baseline"},
     {CsvPath::avx2, "avx2"},
     {CsvPath::avx512, "avx512"}}};

std::string_view csv_path_name(CsvPath path);

// The paths this CPU can run: the reference, then the fast path of each level in cpu::supported_levels().
std::vector<CsvPath> supported_csv_paths();

// CsvOptions::delimiter that asks for the delimiter to be found from the header and first rows (data/csv/delimiter.h).
inline constexpr char detect_delimiter = '\0';

// A delimiter as a config or an option writes it: "auto" → detect_delimiter; "tab" or "\\t" (the two characters) →
// a tab; one character other than a quote or a line break → itself. Anything else: nothing.
std::optional<char> delimiter_from_text(std::string_view text);
inline constexpr const char* delimiter_expected =
    "\"auto\" (found from the file), one character such as \",\" \";\" \"|\", or \"tab\"";

struct CsvOptions {
  char delimiter = ',';  // or detect_delimiter
  std::string target_column;                 // name of the label column; empty: none (targets are then empty)
  std::vector<std::string> feature_columns;  // empty = all columns except the target, in file order
  // Which path reads the rows; empty: the fast path for cpu::active_level(). Asking for one this CPU cannot run
  // (not in supported_csv_paths()) is a std::invalid_argument.
  std::optional<CsvPath> code_path = std::nullopt;
  // At most compute.threads threads read a large text without quotes (the reference path reads in one), each
  // at least compute.minimum_parallel_work bytes.
  kernels::Compute compute = {};
  // Read a path that is not a regular file (a FIFO, a device); otherwise it is refused before it is opened.
  bool allow_special_file = false;
  char undetected_delimiter = ',';  // with detect_delimiter: the one used when the header and rows do not tell
};

// The physical line each data row starts on, kept as runs of rows on consecutive lines: one run for most files,
// a new one after each record whose quoted cells span lines. (A vector of line numbers would cost 8 bytes a row,
// a fifth of a row of ten features.)
class RowLines {
 public:
  // The 1-based physical line `row` starts on; `row` must be below the count of rows added.
  std::size_t line_of(std::size_t row) const;

  // Adds the next row, which starts on `line`. Inline: it runs once a row.
  void add(std::size_t row, std::size_t line) {
    if (!runs_.empty() && runs_.back().first_line + (row - runs_.back().first_row) == line) return;
    runs_.push_back({row, line});
  }
  // Adds `other`'s rows, which come after these.
  void append(const RowLines& other);
  // Forgets rows from `rows` on.
  void truncate(std::size_t rows);

  bool operator==(const RowLines&) const = default;

 private:
  struct Run {
    std::size_t first_row = 0;
    std::size_t first_line = 0;
    bool operator==(const Run&) const = default;
  };
  std::vector<Run> runs_;  // by first_row; row r of a run starts on line first_line + (r - first_row)
};

struct CsvTable {
  std::string path;                        // as given, used in messages
  std::vector<std::string> feature_names;  // in the order of the features matrix columns
  std::string target_name;
  char delimiter = ',';  // the one the cells were split on: the options', or the one found
  std::size_t rows = 0;
  AlignedVector<float> features;  // rows x feature_names.size(), row-major; moves into nn::Matrix
  // The target cells (quotes removed, unescaped, trimmed; empty without a target column), each distinct text
  // once in order of first appearance, and per row the index of its text: 4 bytes a row where a std::string
  // would take 32.
  std::vector<std::string> target_values;
  std::vector<std::uint32_t> target_codes;
  RowLines lines;
  ContentIdentity source;  // read_csv: the file's size and content hash as it was parsed

  std::string_view target(std::size_t row) const { return target_values[target_codes[row]]; }
  std::size_t line(std::size_t row) const { return lines.line_of(row); }
};

// Reads and parses the file at `path`. Throws bnrun::UserError for anything wrong with the file.
//
// Large texts without quotes are parsed by up to options.compute.threads threads, each taking runs of whole lines.
// The result, and the error if there is one (the first in the file), are the same for any thread count and
// any code path. A mapped file's pages are given back as they are read, so the memory it takes is the table
// and a few megabytes of text, not the file.
CsvTable read_csv(const std::string& path, const CsvOptions& options);

// Parses CSV text already in memory, in parallel as read_csv does; `path` is only used in messages.
CsvTable parse_csv(std::string_view text, const std::string& path, const CsvOptions& options);

}  // namespace bnrun::data
