#include "data/csv/fast_rows.h"

#include <bit>
#include <cstdint>
#include <string_view>

#include "data/csv/short_integer_rows.h"
#include "data/csv/swar.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bnrun::data::csv {
namespace {

// Finds, in order, the bytes of a simple record that end a cell or forbid the fast path (see
// Tokenizer::ends_unquoted), and finally the end of the text. It classifies 64 bytes at a time into a bit
// mask, so the position of the next cell never waits on parsing the current one and there is no branch per
// byte to mispredict where cells of varying length end.
class CellEndFinder {
 public:
  static constexpr std::ptrdiff_t kBlock = 64;

  CellEndFinder(const char* begin, const char* end, const Tokenizer& tokenizer) : end_(end), tokenizer_(tokenizer) {
    load_block(begin);
  }

  // The next cell-ending byte, or the end of the text.
  const char* next() {
    while (mask_ == 0) {
      if (end_ - block_ <= kBlock) return end_;
      load_block(block_ + kBlock);
    }
    const char* const found = block_ + std::countr_zero(mask_);
    mask_ &= mask_ - 1;
    return found;
  }

 private:
  void load_block(const char* block) {
    block_ = block;
    mask_ = end_ - block >= kBlock ? full_block_mask(block) : tail_mask(block);
  }

  std::uint64_t full_block_mask(const char* block) const {
#if defined(__SSE2__)
    const __m128i delimiter = _mm_set1_epi8(tokenizer_.delimiter());
    const __m128i line_feed = _mm_set1_epi8('\n');
    const __m128i carriage_return = _mm_set1_epi8('\r');
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i zero = _mm_setzero_si128();
    std::uint64_t mask = 0;
    for (int part = 0; part < 4; ++part) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * part));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, delimiter), _mm_cmpeq_epi8(bytes, line_feed)),
                       _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, carriage_return), _mm_cmpeq_epi8(bytes, quote)),
                                    _mm_cmpeq_epi8(bytes, zero)));
      mask |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(special))) << (16 * part);
    }
    return mask;
#else
    return scalar_mask(block, kBlock);
#endif
  }

  // The last, partial block: its special bytes plus a bit for the end of the text.
  std::uint64_t tail_mask(const char* block) const {
    const auto length = static_cast<int>(end_ - block);
    return scalar_mask(block, length) | (std::uint64_t{1} << length);
  }

  std::uint64_t scalar_mask(const char* block, int length) const {
    std::uint64_t mask = 0;
    for (int i = 0; i < length; ++i) {
      if (tokenizer_.ends_unquoted(block[i])) mask |= std::uint64_t{1} << i;
    }
    return mask;
  }

  const char* const end_;
  const Tokenizer& tokenizer_;
  const char* block_ = nullptr;
  std::uint64_t mask_ = 0;
};

// The fast path, cell by cell, for any layout and any number format. Always inlined, so that each level's
// reader below compiles all of it for its own instruction set.
[[gnu::always_inline]] inline bool append_row_by_cells(Tokenizer& tokenizer, const ColumnLayout& layout,
                                                       RowWriter& rows) {
  const std::string_view rest = tokenizer.rest();
  const char* const begin = rest.data();
  const char* const end = begin + rest.size();
  const char delimiter = tokenizer.delimiter();
  const std::size_t columns = layout.header.size();
  float* const row = rows.next_row_features();
  std::string_view target;

  // Converts one cell as its column's role asks; false if the fast path cannot take it.
  const std::int32_t* const roles = layout.role.data();
  auto take_cell = [&](std::size_t column_index, const char* cell_start, const char* cell_end) {
    const std::int32_t role = roles[column_index];
    if (role >= 0) return parse_number_cell(cell_start, cell_end, end, row[role]);
    if (role == kTargetColumn) {
      target = std::string_view(cell_start, static_cast<std::size_t>(cell_end - cell_start));
      return is_plain_target(target, tokenizer);
    }
    return true;
  };

  CellEndFinder finder(begin, end, tokenizer);
  const char* cell_start = begin;
  for (std::size_t column_index = 0; column_index + 1 < columns; ++column_index) {
    const char* const cell_end = finder.next();
    // Anything but the delimiter here is a quote, a NUL, or the end of a line with too few cells.
    if (cell_end == end || *cell_end != delimiter) return false;
    if (!take_cell(column_index, cell_start, cell_end)) return false;
    cell_start = cell_end + 1;
  }
  const char* const record_end = finder.next();
  // Anything but a line end here is a quote, a NUL, or a delimiter starting one cell too many.
  if (record_end != end && *record_end != '\n' && *record_end != '\r') return false;
  if (!take_cell(columns - 1, cell_start, record_end)) return false;

  rows.commit(target, tokenizer.line());
  tokenizer.finish_simple_record(static_cast<std::size_t>(record_end - begin));
  return true;
}

bool append_simple_row_baseline(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint&,
                                RowWriter& rows) {
  if (tokenizer.rest().empty()) return false;  // no row to make room for: a chunk's slice may be full
  return append_row_by_cells(tokenizer, layout, rows);
}

#if defined(__x86_64__)
[[BNRUN_CSV_TARGET_AVX2]] bool append_row_by_cells_avx2(Tokenizer& tokenizer, const ColumnLayout& layout,
                                                        RowWriter& rows) {
  return append_row_by_cells(tokenizer, layout, rows);
}

bool append_simple_row_avx2(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint&, RowWriter& rows) {
  if (tokenizer.rest().empty()) return false;
  return append_row_by_cells_avx2(tokenizer, layout, rows);
}

bool append_simple_row_avx512(Tokenizer& tokenizer, const ColumnLayout& layout, ShortIntegerRowsHint& hint,
                              RowWriter& rows) {
  if (tokenizer.rest().empty()) return false;
  if (short_integer_rows_possible(layout, tokenizer.delimiter()) && hint.worth_trying()) {
    const bool read = append_short_integer_row_avx512(tokenizer, layout, rows);
    hint.record(read);
    if (read) return true;
  }
  return append_row_by_cells_avx2(tokenizer, layout, rows);
}
#endif

}  // namespace

FastRowReader fast_row_reader(cpu::Level level) {
#if defined(__x86_64__)
  switch (level) {
    case cpu::Level::baseline:
      break;
    case cpu::Level::avx2:
      return append_simple_row_avx2;
    case cpu::Level::avx512:
      return append_simple_row_avx512;
  }
#else
  (void)level;
#endif
  return append_simple_row_baseline;
}

}  // namespace bnrun::data::csv
