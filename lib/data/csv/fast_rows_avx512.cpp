// The avx512 level's fast reader: rows of short integers 64 bytes at a time (short_integer_rows_avx512.cpp),
// other rows cell by cell with cell ends found by AVX-512BW and numbers read by numbers_avx2.h; all of it compiled
// for AVX-512.
#include "data/csv/cell_rows.h"
#include "data/csv/numbers_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

BNRUN_CSV_BEGIN_LEVEL(BNRUN_CSV_AVX512_FEATURES)
#include "data/csv/cell_rows.inc"

namespace bnrun::data::csv {
namespace {

struct Avx512Level {
  static bool number_cell(const char* text_begin, const char* p, const char* cell_end, const char* text_end,
                          float& value) {
    return parse_number_cell_avx2(text_begin, p, cell_end, text_end, value);
  }

  static std::uint64_t special_bytes(const char* block, char delimiter) {
    const __m512i bytes = _mm512_loadu_si512(block);
    return _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(delimiter)) |
           _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\n')) |
           _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\r')) |
           _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"')) | _mm512_testn_epi8_mask(bytes, bytes);
  }
};
}  // namespace

std::size_t read_rows_avx512(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                             RowWriter& rows) {
  return read_rows_preferring_short_integers<append_short_integer_row_avx512, read_rows_by_cells<Avx512Level>>(
      tokenizer, layout, hint, rows);
}

}  // namespace bnrun::data::csv
BNRUN_CSV_END_LEVEL
#endif
