// The general path for data rows: any record the tokenizer accepts, checked against the header and converted
// cell by cell, with every error reported precisely. The reference reader reads every row this way; the fast
// readers hand it each row they decline, so every error message comes from here or from the tokenizer.
#pragma once

#include <vector>

#include "data/csv/columns.h"
#include "data/csv/messages.h"
#include "data/csv/numbers.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// Appends the record in `fields` as the next row, its feature cells read by `parse_number`.
void append_general_row(const std::vector<Field>& fields, const ColumnLayout& layout, const Diagnostics& diagnostics,
                        FloatParser parse_number, RowWriter& rows);

}  // namespace bnrun::data::csv
