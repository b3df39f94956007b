// Where parsed rows go: consecutive rows of the table's vectors, from a first row on. The serial reader appends,
// growing the vectors a row at a time into the capacity reserve_rows() set aside. A chunk read in parallel
// owns a slice of rows sized in advance by its line count, so no thread ever resizes the shared vectors.
//
// A writer codes the rows' targets with a dictionary of its own and notes the rows' lines; once the rows are
// read, add_written_rows() merges each writer's part into the table in file order.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string_view>

#include "data/csv.h"
#include "data/csv/columns.h"
#include "data/csv/messages.h"
#include "data/csv/targets.h"

namespace bnrun::data::csv {

class RowWriter {
 public:
  static RowWriter appending(CsvTable& table, std::size_t width, const Diagnostics& diagnostics) {
    return RowWriter(table, width, table.rows, table.rows, true, diagnostics);
  }
  static RowWriter into_slice(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t row_count,
                              const Diagnostics& diagnostics) {
    return RowWriter(table, width, first_row, first_row + row_count, false, diagnostics);
  }

  // A slice's rows are all written: the rest of its text can hold no more records.
  bool is_full() const { return !growable_ && next_row_ == end_row_; }

  // The feature cells of the next row, to fill in before commit(). Until then it is the same row each call, so
  // a row the fast path gave up on is simply overwritten.
  float* next_row_features() {
    if (next_row_ == end_row_) make_room();
    return table_.features.data() + next_row_ * width_;
  }

  // Completes the row next_row_features() gave out: its target cell's text and the line it starts on. Bytes
  // from target.data() up to `readable_end` may be read past the target.
  void commit(std::string_view target, std::size_t line, const char* readable_end) {
    table_.target_codes[next_row_] = targets_.code_of(target, readable_end);
    lines_.add(next_row_, line);
    ++next_row_;
  }
  void commit(std::string_view target, std::size_t line) { commit(target, line, target.data() + target.size()); }

  std::size_t rows_written() const { return next_row_ - first_row_; }
  std::size_t end_of_written_rows() const { return next_row_; }

  std::size_t first_row() const { return first_row_; }
  RowLines& lines() { return lines_; }
  TargetDictionary& targets() { return targets_; }

 private:
  RowWriter(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t end_row, bool growable,
            const Diagnostics& diagnostics)
      : table_(table),
        width_(width),
        first_row_(first_row),
        next_row_(first_row),
        end_row_(end_row),
        growable_(growable),
        targets_(diagnostics) {}

  void make_room() {
    // A slice holds one row per physical line, and without quotes no record spans two lines.
    if (!growable_) throw std::logic_error("bnrun: a CSV chunk holds more records than lines");
    ++end_row_;
    table_.features.resize(end_row_ * width_);
    table_.target_codes.resize(end_row_);
  }

  CsvTable& table_;
  std::size_t width_;
  std::size_t first_row_;
  std::size_t next_row_;
  std::size_t end_row_;
  bool growable_;
  TargetDictionary targets_;
  RowLines lines_;
};

// Adds what `rows` wrote to the table's targets and lines; writers must be added in file order.
void add_written_rows(RowWriter& rows, TargetCodes& target_codes, CsvTable& table);

// Sets the number of rows, trimming the vectors to it (their capacity stays).
void set_row_count(CsvTable& table, std::size_t width, std::size_t rows);

// Reserves room for the rows still to come, judged by the size of the first data row. Never more than the
// rest of the text could hold: each row needs a delimiter per column and a character per used cell.
void reserve_rows(CsvTable& table, const ColumnLayout& layout, std::size_t first_row_bytes,
                  std::size_t remaining_bytes);

// Faults in the pages of a large, freshly reserved buffer with one system call. Touching them one at a time
// costs a trap per page, which on virtual machines is a sizable part of the parse time. (Huge pages were tried:
// on the 2-core VM they were faster in most reads and several times slower in one of four, when the host had
// to back fresh memory; and no faster for the 5,000,000-row table.) Only advice: on kernels without
// MADV_POPULATE_WRITE (before Linux 5.14) nothing happens, and the pages fault in as used.
void prefault_for_writing(const void* data, std::size_t bytes);

}  // namespace bnrun::data::csv
