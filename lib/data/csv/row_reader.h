// How the rows of one table are read, as data: the fast reader for the chosen level (none for the reference
// reader) and the number parser for the general path. The serial reader and every parallel chunk read their
// rows through append_next_rows(), so they differ only in where in the text they start.
#pragma once

#include <cstddef>
#include <vector>

#include "data/csv.h"
#include "data/csv/columns.h"
#include "data/csv/fast_rows.h"
#include "data/csv/file.h"
#include "data/csv/messages.h"
#include "data/csv/numbers.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

struct RowReader {
  const ColumnLayout& layout;
  const Diagnostics& diagnostics;
  FastRowReader fast_rows;   // nullptr: every row takes the general path (the reference reader)
  FloatParser parse_number;  // for the general path
};

// What a reader keeps from one row to the next: the general path's fields, and the fast paths' hint.
struct RowScratch {
  std::vector<Field> fields;
  ShortIntegerRowsHint short_integer_rows;
};

// Appends the next data records to `rows`: those the fast reader takes, else one by the general path. False at
// the end of the data.
bool append_next_rows(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, RowWriter& rows);

// Appends the next data record to `rows` by the general path; false at the end of the data.
bool append_next_row_in_general(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, RowWriter& rows);

// Reads the records left in `tokenizer` one after the other, appending them to the table; `first_row_bytes`
// (the size of the first data row) sizes the reservation. The pages of a mapped `file` are given back as the
// reading passes them.
void read_rows_serially(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, std::size_t first_row_bytes,
                        const FileContents* file, CsvTable& table, TargetCodes& target_codes);

}  // namespace bnrun::data::csv
