#include "data/csv/row_reader.h"

#include "data/csv/general_rows.h"

namespace bnrun::data::csv {

bool append_next_row(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, RowWriter& rows) {
  if (reader.fast_row != nullptr && reader.fast_row(tokenizer, reader.layout, scratch.short_integer_rows, rows)) {
    return true;
  }
  if (!tokenizer.next_record(scratch.fields)) return false;
  append_general_row(scratch.fields, reader.layout, reader.diagnostics, reader.parse_number, rows);
  return true;
}

void read_rows_serially(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, std::size_t first_row_bytes,
                        CsvTable& table) {
  reserve_rows(table, reader.layout, first_row_bytes, tokenizer.size() - tokenizer.position());
  const std::size_t width = reader.layout.feature_names.size();
  RowWriter rows = RowWriter::appending(table, width);
  while (append_next_row(tokenizer, scratch, reader, rows)) {
  }
  set_row_count(table, width, rows.end_of_written_rows());
}

}  // namespace bnrun::data::csv
