// The baseline level's fast reader: SSE2, which every x86-64 CPU has, and SWAR (swar.h).
#include "data/csv/cell_rows.h"
#include "data/csv/swar.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "data/csv/cell_rows.inc"

namespace bnrun::data::csv {
namespace {

struct BaselineLevel {
  static bool number_cell(const char*, const char* p, const char* cell_end, const char* text_end, float& value) {
    return parse_number_cell(p, cell_end, text_end, value);
  }

  static std::uint64_t special_bytes(const char* block, char delimiter) {
#if defined(__SSE2__)
    const __m128i delimiters = _mm_set1_epi8(delimiter);
    const __m128i line_feeds = _mm_set1_epi8('\n');
    const __m128i carriage_returns = _mm_set1_epi8('\r');
    const __m128i quotes = _mm_set1_epi8('"');
    const __m128i zero = _mm_setzero_si128();
    std::uint64_t mask = 0;
    for (int part = 0; part < 4; ++part) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * part));
      const __m128i special = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(bytes, delimiters), _mm_cmpeq_epi8(bytes, line_feeds)),
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, carriage_returns), _mm_cmpeq_epi8(bytes, quotes)),
                       _mm_cmpeq_epi8(bytes, zero)));
      mask |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(special))) << (16 * part);
    }
    return mask;
#else
    std::uint64_t mask = 0;
    for (int i = 0; i < kBlockBytes; ++i) {
      const char c = block[i];
      if (c == delimiter || c == '\n' || c == '\r' || c == '"' || c == '\0') mask |= std::uint64_t{1} << i;
    }
    return mask;
#endif
  }
};

}  // namespace

std::size_t read_rows_baseline(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint&,
                               RowWriter& rows) {
  return read_rows_by_cells<BaselineLevel>(tokenizer, layout, rows, kAllRows);
}

}  // namespace bnrun::data::csv
