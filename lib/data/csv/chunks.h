// Reading in parallel.
//
// The text after the first data row is cut at line starts into one chunk per thread; each thread reads its
// chunk with a Tokenizer of its own, straight into its slice of the table. That is exact only for a text
// without quotes: then every line break ends a record, so a cut at a line start is a record boundary, a
// chunk's line count bounds its rows, and the line breaks before a chunk give the line it starts on. A text
// with a quote anywhere is read serially. Rows and errors come out as the serial reader's, for any thread count.
#pragma once

#include <cstddef>

#include "data/csv.h"
#include "data/csv/row_reader.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// How the text may be split: at most `threads` chunks, each of at least `minimum_chunk_bytes` bytes (bytes are
// the unit of work here: a byte costs a few multiply-adds' worth to parse, so this errs on the serial side).
struct ChunkLimits {
  std::size_t threads = 1;
  std::size_t minimum_chunk_bytes = 1;
};

// Reads the rest of the data, which starts at a record boundary on the tokenizer's current line, in parallel
// chunks. Returns false, having read nothing, if it is too little to be worth it or holds a quote.
bool read_rows_in_parallel(const Tokenizer& tokenizer, const RowReader& reader, const ChunkLimits& limits,
                           CsvTable& table);

}  // namespace bnrun::data::csv
