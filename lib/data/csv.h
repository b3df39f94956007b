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

struct CsvOptions {
  char delimiter = ',';
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
};

struct CsvTable {
  std::string path;                        // as given, used in messages
  std::vector<std::string> feature_names;  // in the order of the features matrix columns
  std::string target_name;
  std::size_t rows = 0;
  AlignedVector<float> features;          // rows x feature_names.size(), row-major; moves into nn::Matrix
  std::vector<std::string> targets;       // raw target cell text per row (quotes removed, unescaped, trimmed)
  std::vector<std::size_t> line_numbers;  // 1-based physical line where each data row starts
  ContentIdentity source;                 // read_csv: the file's size and content hash as it was parsed
};

// Reads and parses the file at `path`. Throws bnrun::UserError for anything wrong with the file.
//
// Large texts without quotes are parsed by up to options.compute.threads threads, each taking a run of whole lines.
// The result, and the error if there is one (the first in the file), are the same for any thread count and
// any code path.
CsvTable read_csv(const std::string& path, const CsvOptions& options);

// Parses CSV text already in memory, in parallel as read_csv does; `path` is only used in messages.
CsvTable parse_csv(std::string_view text, const std::string& path, const CsvOptions& options);

}  // namespace bnrun::data
