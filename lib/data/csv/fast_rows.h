// The fast readers for the common record shape: one line, no quotes, no padding to trim, every feature a valid
// number, a target that is not empty. One per instruction-set level (cpu.h), chosen at run time; each accepts
// only what the general path (general_rows.h) accepts, with the same values, and declines the rest, leaving
// the tokenizer where it was and nothing committed. The general path then reads the record, and reports the
// precise error if there is one. So which reader runs never changes a table or a message, only the speed.
//
//   baseline  cell ends found 64 bytes at a time with SSE2, cells read by SWAR (swar.h)
//   avx2      the same code compiled for x86-64-v3 (AVX2, BMI1/2, LZCNT, POPCNT, FMA): the machine code
//             -march=native gave it on such CPUs, now without building for one
//   avx512    first rows of short integers 64 bytes at a time (short_integer_rows.h), then as avx2
#pragma once

#include <algorithm>
#include <cstddef>

#include "core/cpu.h"
#include "data/csv/columns.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

// What the avx2 and avx512 levels of cpu.h may use. cpu.cpp tests the features that set each level apart; the
// rest (BMI1, LZCNT, POPCNT) come with every CPU that has those, as the x86-64-v3 and -v4 levels of the psABI
// say.
#define BNRUN_CSV_TARGET_AVX2 gnu::target("avx2,fma,bmi,bmi2,lzcnt,popcnt")
#define BNRUN_CSV_TARGET_AVX512 \
  gnu::target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi2,avx2,fma,bmi,bmi2,lzcnt,popcnt")

namespace bnrun::data::csv {

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

// Reads the next record as the next row if it has the common shape; false (nothing read) otherwise.
using FastRowReader = bool (*)(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                               RowWriter& rows);

// The fast reader for `level`, which the CPU must support.
FastRowReader fast_row_reader(cpu::Level level);

// A target cell the fast paths can take as it is: not empty, and no padding to trim.
inline bool is_plain_target(std::string_view target, const Tokenizer& tokenizer) {
  return !target.empty() && !tokenizer.is_padding(target.front()) && !tokenizer.is_padding(target.back());
}

}  // namespace bnrun::data::csv
