// The block readers for rows of short integers (pixel-like data: hundreds of cells "0" to "255") and a target,
// when the features are all the other columns in file order: AVX-512 (64 bytes at a time, signs too) and AVX2
// (32 bytes at a time, unsigned). Compiled always, each for its own instruction set alone (function target
// attributes), and called only on CPUs at that cpu::Level.
#pragma once

#include <cstddef>
#include <string_view>

#include "data/csv/columns.h"
#include "data/csv/fast_rows.h"
#include "data/csv/numbers.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// Whether rows of this layout may take the short-integer readers: a delimiter that is a digit or '-' would read
// as part of a number.
inline bool short_integer_rows_possible(const ColumnLayout& layout, char delimiter) {
  return layout.features_are_the_other_columns && !is_digit(delimiter) && delimiter != '-';
}

// Same contract as one row of a FastRowReader (fast_rows.h): the next record as a row if all its feature cells
// are short integers, else false with nothing read. Only on a CPU at cpu::Level::avx512, and at avx2.
bool append_short_integer_row_avx512(Tokenizer& tokenizer, const ColumnLayout& layout, RowWriter& rows);
bool append_short_integer_row_avx2(Tokenizer& tokenizer, const ColumnLayout& layout, RowWriter& rows);

// The row both readers read: the cells before the target, the target, the cells after it. `read_cells(first,
// end, count, delimiter, out)` reads `count` (>= 1) cells from `first` on into out[0, count) and returns the byte
// that ends the last one (`end` if the text ends it), or nullptr if a cell is not a short integer or a cell but
// the last is not followed by the delimiter.
template <class ReadCells>
[[gnu::always_inline]] inline bool append_short_integer_row(Tokenizer& tokenizer, const ColumnLayout& layout,
                                                            RowWriter& rows, ReadCells read_cells) {
  const std::string_view rest = tokenizer.rest();
  const char* const begin = rest.data();
  const char* const end = begin + rest.size();
  const char delimiter = tokenizer.delimiter();
  const std::size_t cells_before_target = layout.target_index;
  const std::size_t cells_after_target = layout.header.size() - layout.target_index - 1;
  float* const row = rows.next_row_features();

  const char* target_start = begin;
  if (cells_before_target > 0) {
    const char* const cells_end = read_cells(begin, end, cells_before_target, delimiter, row);
    if (cells_end == nullptr || cells_end == end || *cells_end != delimiter) return false;
    target_start = cells_end + 1;
  }
  const char* const target_end = tokenizer.scan_unquoted(target_start, end);
  const std::string_view target(target_start, static_cast<std::size_t>(target_end - target_start));
  if (!is_plain_target(target, tokenizer)) return false;
  const char* record_end = target_end;
  if (cells_after_target > 0) {
    if (target_end == end || *target_end != delimiter) return false;
    record_end = read_cells(target_end + 1, end, cells_after_target, delimiter, row + cells_before_target);
    if (record_end == nullptr) return false;
  }
  // Anything but a line end here is a quote, a NUL, or a delimiter starting one cell too many.
  if (record_end != end && *record_end != '\n' && *record_end != '\r') return false;

  rows.commit(target, tokenizer.line(), end);
  tokenizer.finish_simple_record(static_cast<std::size_t>(record_end - begin));
  return true;
}

}  // namespace bnrun::data::csv
