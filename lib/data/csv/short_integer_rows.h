// The AVX-512 fast path for rows of short integers (pixel-like data: hundreds of cells "0" to "255") and a
// target, when the features are all the other columns in file order. Compiled always, for CPUs at
// cpu::Level::avx512 only (function target attributes), and called only on them.
#pragma once

#include "data/csv/columns.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// Whether rows of this layout may take append_short_integer_row_avx512(): a delimiter that is a digit or '-'
// would read as part of a number.
bool short_integer_rows_possible(const ColumnLayout& layout, char delimiter);

// Same contract as a FastRowReader (fast_rows.h). Only on a CPU at cpu::Level::avx512.
bool append_short_integer_row_avx512(Tokenizer& tokenizer, const ColumnLayout& layout, RowWriter& rows);

}  // namespace bnrun::data::csv
