// The cell-by-cell fast reader, written once and compiled once per instruction-set level: each level's
// translation unit (fast_rows_baseline.cpp, fast_rows_avx2.cpp, fast_rows_avx512.cpp) includes this header, then
// switches its instruction set on (BNRUN_CSV_BEGIN_LEVEL, instruction_sets.h), then includes cell_rows.inc, which
// defines the reader for a `Level` that says how to find cell ends in a 64-byte block and how to read a number
// cell. So the whole reader, with everything it inlines, is compiled for the level's instruction set, and nothing
// that other translation units share is: cell_rows.inc includes nothing, and all it defines has internal linkage.
//
// A Level provides
//   static std::uint64_t special_bytes(const char* block, char delimiter);
//       the bytes of a simple record that end a cell or forbid the fast path (Tokenizer::ends_unquoted) among the
//       64 at `block`, one bit per byte;
//   static bool number_cell(const char* text_begin, const char* p, const char* cell_end, const char* text_end,
//                           float& value);
//       parse_number_cell()'s contract (swar.h) for a cell of the text [text_begin, text_end).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "data/csv/columns.h"
#include "data/csv/fast_rows.h"
#include "data/csv/instruction_sets.h"
#include "data/csv/short_integer_rows.h"
#include "data/csv/table_writer.h"
#include "data/csv/tokenizer.h"
