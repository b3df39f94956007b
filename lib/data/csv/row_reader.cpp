#include "data/csv/row_reader.h"

#include "data/csv/general_rows.h"

namespace bnrun::data::csv {

bool append_next_row_in_general(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, RowWriter& rows) {
  if (!tokenizer.next_record(scratch.fields)) return false;
  append_general_row(scratch.fields, reader.layout, reader.diagnostics, reader.parse_number, rows);
  return true;
}

bool append_next_rows(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, RowWriter& rows) {
  if (reader.fast_rows != nullptr && reader.fast_rows(tokenizer, reader.layout, scratch.short_integer_rows, rows) > 0) {
    return true;
  }
  return append_next_row_in_general(tokenizer, scratch, reader, rows);
}

void read_rows_serially(Tokenizer& tokenizer, RowScratch& scratch, const RowReader& reader, std::size_t first_row_bytes,
                        const FileContents* file, CsvTable& table, TargetCodes& target_codes) {
  reserve_rows(table, reader.layout, first_row_bytes, tokenizer.size() - tokenizer.position());
  const std::size_t width = reader.layout.feature_names.size();
  RowWriter rows = RowWriter::appending(table, width, reader.diagnostics);
  // Pages behind the reading go back a few megabytes at a time; a record's own text always lies after them.
  constexpr std::size_t kReleaseBytes = std::size_t{4} << 20;
  const char* const text = tokenizer.text().data();
  std::size_t released = tokenizer.position();
  while (append_next_rows(tokenizer, scratch, reader, rows)) {
    if (file != nullptr && tokenizer.position() - released >= kReleaseBytes) {
      file->release_pages(text + released, text + tokenizer.position() - kReleaseBytes / 2);
      released = tokenizer.position() - kReleaseBytes / 2;
    }
  }
  set_row_count(table, width, rows.end_of_written_rows());
  add_written_rows(rows, target_codes, table);
}

}  // namespace bnrun::data::csv
