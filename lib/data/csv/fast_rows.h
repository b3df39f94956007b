// The fast readers for the common record shape: one line, no quotes, no padding to trim, every feature a valid
// number, a target that is not empty. One per instruction-set level (cpu.h), chosen at run time; each accepts
// only what the general path (general_rows.h) accepts, with the same values, and declines the rest, leaving
// the tokenizer at the start of the record it declined. The general path then reads that record, and reports
// the precise error if there is one. So which reader runs never changes a table or a message, only the speed.
//
// A fast reader reads record after record until it meets one it declines, so that what it learns of the text
// ahead (where the cells end, 64 bytes at a time) carries over from one record to the next.
//
//   baseline  cell ends found 64 bytes at a time with SSE2, cells read by SWAR (swar.h), longer numbers by
//             numbers.h
//   avx2      the same code compiled for x86-64-v3 (AVX2, BMI1/2, LZCNT, POPCNT), cell ends found with AVX2;
//             rows whose cells are all integers of 1 to 4 characters read by short_integer_cells.h
//   avx512    rows of short integers 64 bytes at a time (short_integer_rows.h), else as avx2 with the cell
//             ends found by AVX-512BW
#pragma once

#include <algorithm>
#include <cstddef>

#include "core/cpu.h"
#include "data/csv/columns.h"
#include "data/csv/instruction_sets.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// Whether to try the short-integer fast path on the next row. The rows of a file tend to look alike, and on
// rows it cannot take (short rows of decimals, say) the attempt costs about a tenth of the row's time. So after
// it fails, it sits out a number of rows that doubles with each failure in a row, up to kMaxRowsSkipped, and is
// back on every row once it succeeds. Which fast path reads a row never changes the result.
class ShortIntegerRowsHint {
 public:
  // Rows to leave to the other reader before the next attempt.
  std::size_t rows_to_sit_out() const { return rows_to_skip_; }
  void sat_out(std::size_t rows) { rows_to_skip_ -= std::min(rows, rows_to_skip_); }

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

// Reads the records from the tokenizer's position on as rows, while they have the common shape and the writer
// has room; returns how many it read (0 if it declined the first).
using FastRowReader = std::size_t (*)(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                                      RowWriter& rows);

// The fast reader for `level`, which the CPU must support.
FastRowReader fast_row_reader(cpu::Level level);

// Each level's reader, in a translation unit of its own compiled for the level (cell_rows.h). The avx2 and
// avx512 readers run only on CPUs at those levels.
std::size_t read_rows_baseline(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                               RowWriter& rows);
std::size_t read_rows_avx2(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                           RowWriter& rows);
std::size_t read_rows_avx512(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                             RowWriter& rows);

// A target cell the fast paths can take as it is: not empty, and no padding to trim.
inline bool is_plain_target(std::string_view target, const Tokenizer& tokenizer) {
  return !target.empty() && !tokenizer.is_padding(target.front()) && !tokenizer.is_padding(target.back());
}

}  // namespace bnrun::data::csv
