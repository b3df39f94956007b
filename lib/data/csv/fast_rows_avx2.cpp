// The avx2 level's fast reader: rows of short integers 32 bytes at a time (short_integer_rows_avx2.cpp), other
// rows cell by cell with cell ends found by AVX2 and numbers read by numbers_avx2.h; all of it compiled for AVX2.
#include "data/csv/cell_rows.h"
#include "data/csv/numbers_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

BNRUN_CSV_BEGIN_LEVEL(BNRUN_CSV_AVX2_FEATURES)
#include "data/csv/cell_rows.inc"

namespace bnrun::data::csv {
namespace {

struct Avx2Level {
  static bool number_cell(const char* text_begin, const char* p, const char* cell_end, const char* text_end,
                          float& value) {
    return parse_number_cell_avx2(text_begin, p, cell_end, text_end, value);
  }

  static std::uint64_t special_bytes(const char* block, char delimiter) {
    const __m256i delimiters = _mm256_set1_epi8(delimiter);
    const __m256i line_feeds = _mm256_set1_epi8('\n');
    const __m256i carriage_returns = _mm256_set1_epi8('\r');
    const __m256i quotes = _mm256_set1_epi8('"');
    const __m256i zero = _mm256_setzero_si256();
    std::uint64_t mask = 0;
    for (int part = 0; part < 2; ++part) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * part));
      const __m256i special = _mm256_or_si256(
          _mm256_or_si256(_mm256_cmpeq_epi8(bytes, delimiters), _mm256_cmpeq_epi8(bytes, line_feeds)),
          _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(bytes, carriage_returns), _mm256_cmpeq_epi8(bytes, quotes)),
                          _mm256_cmpeq_epi8(bytes, zero)));
      mask |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(special))) << (32 * part);
    }
    return mask;
  }
};

}  // namespace

std::size_t read_rows_avx2(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                           RowWriter& rows) {
  return read_rows_preferring_short_integers<append_short_integer_row_avx2, read_rows_by_cells<Avx2Level>>(
      tokenizer, layout, hint, rows);
}

}  // namespace bnrun::data::csv
BNRUN_CSV_END_LEVEL
#endif
