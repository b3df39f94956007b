// parse_csv and read_csv (data/csv.h): the header, the code path the options ask for, then the rows, serially
// or in parallel chunks.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/content_identity.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/names.h"
#include "core/resources.h"
#include "data/csv.h"
#include "data/csv/chunks.h"
#include "data/csv/columns.h"
#include "data/csv/delimiter.h"
#include "data/csv/fast_rows.h"
#include "data/csv/file.h"
#include "data/csv/messages.h"
#include "data/csv/numbers.h"
#include "data/csv/row_reader.h"
#include "data/csv/table_writer.h"
#include "data/csv/targets.h"
#include "data/csv/tokenizer.h"
#include "kernels/parallel.h"

namespace bnrun::data {
namespace {

using csv::Diagnostics;

// Refuses, before the rows are parsed, a table whose parsed form would not fit in the memory left. Rows are counted
// from the line breaks in the first megabyte after the header (the mapped or read text itself is already there and
// is not counted). Per row: the features as floats, the target's code, then, in prepare_data, its class index and
// its place in the row order.
void require_memory_for_rows(std::string_view rest, std::size_t width, const Diagnostics& diagnostics) {
  constexpr std::size_t sample_limit = std::size_t{1} << 20;
  if (rest.size() <= sample_limit) return;  // a megabyte of text never needs more than a few
  const std::string_view sample = rest.substr(0, sample_limit);
  const auto sample_lines = static_cast<double>(std::count(sample.begin(), sample.end(), '\n'));
  const double rows = static_cast<double>(rest.size()) * std::max(sample_lines, 1.0) / static_cast<double>(sample.size());
  const double bytes_per_row =
      static_cast<double>(width * sizeof(float) + sizeof(std::uint32_t) + sizeof(std::int32_t) + sizeof(std::size_t));
  const double needed = rows * bytes_per_row;
  const std::size_t available = available_memory_bytes();
  if (available > 0 && needed > static_cast<double>(available))
    diagnostics.fail_file(fmt::format(
        "its data needs about {} of memory once parsed (about {:.0f} rows of {} {}, counted from the first "
        "megabyte), more than the {} available; use fewer rows or columns (dataset.features), or more memory",
        format_bytes(needed), rows, width, width == 1 ? "feature" : "features",
        format_bytes(static_cast<double>(available))));
}

CsvPath path_for_level(cpu::Level level) {
  switch (level) {
    case cpu::Level::avx2:
      return CsvPath::avx2;
    case cpu::Level::avx512:
      return CsvPath::avx512;
    case cpu::Level::baseline:
      break;
  }
  return CsvPath::baseline;
}

cpu::Level level_of(CsvPath path) {
  switch (path) {
    case CsvPath::avx2:
      return cpu::Level::avx2;
    case CsvPath::avx512:
      return cpu::Level::avx512;
    case CsvPath::reference:
    case CsvPath::baseline:
      break;
  }
  return cpu::Level::baseline;
}

// The row reader for the path the options ask for.
csv::RowReader row_reader_for(const CsvOptions& options, const csv::ColumnLayout& layout,
                              const Diagnostics& diagnostics) {
  const CsvPath path = options.code_path.value_or(path_for_level(cpu::active_level()));
  if (path == CsvPath::reference) return {layout, diagnostics, nullptr, csv::parse_float_reference};
  if (level_of(path) > cpu::supported_level()) {
    throw std::invalid_argument("bnrun: the CSV path " + std::string(csv_path_name(path)) +
                                " needs an instruction set this CPU lacks");
  }
  return {layout, diagnostics, csv::fast_row_reader(level_of(path)), csv::parse_float};
}

csv::ChunkLimits chunk_limits_for(const CsvOptions& options) {
  return {static_cast<std::size_t>(std::max(options.compute.threads, 1)),
          std::max<std::size_t>(options.compute.minimum_parallel_work, 1)};
}

void validate_options(const CsvOptions& options, const Diagnostics& diagnostics) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    diagnostics.fail_file("invalid CSV delimiter " + csv::describe_byte(d) +
                          " (it cannot be a quote, a line break or NUL)");
  }
}

std::string_view skip_utf8_bom(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  return text;
}

// The file's identity, hashed a megabyte at a time, each megabyte's pages given back once hashed.
ContentIdentity identify_file(const csv::FileContents& file) {
  constexpr std::size_t kPieceBytes = std::size_t{1} << 20;
  const std::string_view text = file.text();
  ContentHasher hasher;
  for (std::size_t at = 0; at < text.size(); at += kPieceBytes) {
    const std::string_view piece = text.substr(at, kPieceBytes);
    hasher.add(piece);
    file.release_pages(piece.data(), piece.data() + piece.size());
  }
  return hasher.identity();
}

// parse_csv for text in memory (`file` null), read_csv for a file's text: then the file's pages are given back
// as they are read, and its identity is taken along the way.
CsvTable parse_text(std::string_view text, const std::string& path, const CsvOptions& options,
                    const csv::FileContents* file) {
  Diagnostics diagnostics(path);
  validate_options(options, diagnostics);
  text = skip_utf8_bom(text);
  const char delimiter =
      options.delimiter == detect_delimiter ? csv::detect_delimiter(text).value_or(options.undetected_delimiter)
                                            : options.delimiter;

  csv::Tokenizer tokenizer(text, delimiter, diagnostics);
  csv::RowScratch scratch;
  const csv::ColumnLayout layout = csv::resolve_columns(csv::read_header(tokenizer, scratch.fields, diagnostics),
                                                        options, delimiter, diagnostics);
  diagnostics.set_column_names(&layout.header);
  const csv::RowReader reader = row_reader_for(options, layout, diagnostics);

  CsvTable table;
  table.path = path;
  table.feature_names = layout.feature_names;
  table.target_name = layout.target_index < layout.header.size() ? layout.header[layout.target_index] : "";
  table.delimiter = delimiter;
  csv::TargetCodes target_codes(table, diagnostics);

  // The first data row is read alone: it tells whether there is any data, and its size estimates the rest.
  const std::size_t width = layout.feature_names.size();
  const std::size_t first_row_start = tokenizer.position();
  csv::RowWriter first_row = csv::RowWriter::appending(table, width, diagnostics);
  if (!csv::append_next_row_in_general(tokenizer, scratch, reader, first_row)) {
    diagnostics.fail_file("the file has a header but no data rows");
  }
  csv::set_row_count(table, width, first_row.end_of_written_rows());
  csv::add_written_rows(first_row, target_codes, table);
  require_memory_for_rows(text.substr(tokenizer.position()), width, diagnostics);

  // A file is hashed along the way (chunks.h), or after a serial read.
  std::optional<ContentHasher> hasher;
  if (file != nullptr) hasher.emplace();
  // The reference reads in one thread: it is the plain definition the parallel reader is held to.
  const bool parallel =
      reader.fast_rows != nullptr && csv::read_rows_in_parallel(tokenizer, reader, chunk_limits_for(options), file,
                                                                hasher ? &*hasher : nullptr, table, target_codes);
  if (parallel) {
    if (hasher) table.source = hasher->identity();
  } else {
    csv::read_rows_serially(tokenizer, scratch, reader, tokenizer.position() - first_row_start, file, table,
                            target_codes);
    if (file != nullptr) table.source = identify_file(*file);
  }
  return table;
}

}  // namespace

std::string_view csv_path_name(CsvPath path) {
  return name_in(csv_path_names, path);
}

std::vector<CsvPath> supported_csv_paths() {
  std::vector<CsvPath> paths = {CsvPath::reference};
  for (const cpu::Level level : cpu::supported_levels()) paths.push_back(path_for_level(level));
  return paths;
}

CsvTable parse_csv(std::string_view text, const std::string& path, const CsvOptions& options) {
  return parse_text(text, path, options, nullptr);
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  Diagnostics diagnostics(path);
  validate_options(options, diagnostics);  // before reading a possibly large file
  const csv::FileContents contents = csv::FileContents::load(path, diagnostics, options.allow_special_file);
  CsvTable table;
  try {
    table = parse_text(contents.text(), path, options, &contents);
  } catch (const UserError&) {
    contents.check_unchanged(diagnostics);  // a file changed under the parse explains its error
    throw;
  }
  contents.check_unchanged(diagnostics);
  return table;
}

}  // namespace bnrun::data
