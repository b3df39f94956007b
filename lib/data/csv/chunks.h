// Reading in parallel.
//
// The text after the first data row is cut at line starts into chunks of up to half a megabyte, more than
// there are threads, which the threads take in file order as they come free: a thread held up by another process
// on its core takes fewer, and none waits for another. First every chunk's lines are counted; then each chunk is
// read with a Tokenizer of its own, straight into its slice of the table.
// That is exact only for a text without quotes: then every line break ends a record, so a cut at a line start
// is a record boundary, a chunk's line count bounds its rows, and the line breaks before a chunk give the line
// it starts on. A text with a quote anywhere is read serially. Rows and errors come out as the serial reader's,
// for any thread count.
//
// Each pass gives back a mapped file's pages behind it (FileContents::release_pages), so the text is never
// resident as a whole: a chunk per thread is. A file's hash (its ContentIdentity) is taken in the first pass, in
// file order, from the pages the line count has just mapped.
#pragma once

#include <cstddef>

#include "core/content_identity.h"
#include "data/csv.h"
#include "data/csv/file.h"
#include "data/csv/row_reader.h"
#include "data/csv/targets.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

// How the text may be split: at most `threads` threads, each with at least `minimum_chunk_bytes` bytes (bytes
// are the unit of work here: a byte costs a few multiply-adds' worth to parse, so this errs on the serial side).
struct ChunkLimits {
  std::size_t threads = 1;
  std::size_t minimum_chunk_bytes = 1;
};

// Reads the rest of the data, which starts at a record boundary on the tokenizer's current line, in parallel
// chunks, and adds the rows to `table` through `target_codes`. `file`, if not null, is the file the text is mapped
// from; then `hasher`, if not null, is fed the whole of file->text() on the way. Returns false, having read and
// hashed nothing for good, if the rest is too little to be worth it or holds a quote.
bool read_rows_in_parallel(const Tokenizer& tokenizer, const RowReader& reader, const ChunkLimits& limits,
                           const FileContents* file, ContentHasher* hasher, CsvTable& table, TargetCodes& target_codes);

}  // namespace bnrun::data::csv
