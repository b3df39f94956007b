// Where parsed rows go: consecutive rows of the table's vectors, from a first row on. The serial reader appends,
// growing the vectors a row at a time into the capacity reserve_rows() set aside. A chunk read in parallel
// owns a slice of rows sized in advance by its line count, so no thread ever resizes the shared vectors.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "data/csv.h"
#include "data/csv/columns.h"

namespace bnrun::data::csv {

class RowWriter {
 public:
  static RowWriter appending(CsvTable& table, std::size_t width) {
    return RowWriter(table, width, table.rows, table.rows, true);
  }
  static RowWriter into_slice(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t row_count) {
    return RowWriter(table, width, first_row, first_row + row_count, false);
  }

  // The feature cells of the next row, to fill in before commit(). Until then it is the same row each call, so
  // a row the fast path gave up on is simply overwritten.
  float* next_row_features() {
    if (next_row_ == end_row_) make_room();
    return table_.features.data() + next_row_ * width_;
  }

  // Completes the row next_row_features() gave out.
  void commit(std::string_view target, std::size_t line) {
    table_.targets[next_row_].assign(target);
    commit_line(line);
  }
  void commit(std::string&& target, std::size_t line) {
    table_.targets[next_row_] = std::move(target);
    commit_line(line);
  }

  std::size_t rows_written() const { return next_row_ - first_row_; }
  std::size_t end_of_written_rows() const { return next_row_; }

 private:
  RowWriter(CsvTable& table, std::size_t width, std::size_t first_row, std::size_t end_row, bool growable)
      : table_(table),
        width_(width),
        first_row_(first_row),
        next_row_(first_row),
        end_row_(end_row),
        growable_(growable) {}

  void make_room() {
    // A slice holds one row per physical line, and without quotes no record spans two lines.
    if (!growable_) throw std::logic_error("bnrun: a CSV chunk holds more records than lines");
    ++end_row_;
    table_.features.resize(end_row_ * width_);
    table_.targets.resize(end_row_);
    table_.line_numbers.resize(end_row_);
  }

  void commit_line(std::size_t line) {
    table_.line_numbers[next_row_] = line;
    ++next_row_;
  }

  CsvTable& table_;
  std::size_t width_;
  std::size_t first_row_;
  std::size_t next_row_;
  std::size_t end_row_;
  bool growable_;
};

// Sets the number of rows, trimming the vectors to it (their capacity stays).
void set_row_count(CsvTable& table, std::size_t width, std::size_t rows);

// Reserves room for the rows still to come, judged by the size of the first data row. Never more than the
// rest of the text could hold: each row needs a delimiter per column and a character per used cell.
void reserve_rows(CsvTable& table, const ColumnLayout& layout, std::size_t first_row_bytes,
                  std::size_t remaining_bytes);

// Faults in the pages of a large, freshly reserved buffer with one system call. Touching them one at a time
// costs a trap per page, which on virtual machines is a sizable part of the parse time. Only advice: on
// kernels without MADV_POPULATE_WRITE (before Linux 5.14) nothing happens, and the pages fault in as used.
void prefault_for_writing(const void* data, std::size_t bytes);

}  // namespace bnrun::data::csv
