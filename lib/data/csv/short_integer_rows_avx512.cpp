// Cells of short integers, 64 bytes at a time (AVX-512 BW and VBMI2, BMI2).
//
// Pixel-like data is rows of hundreds of cells "0" to "255". Read cell by cell, each costs a scan, a branch on
// its length and a conversion. Here a 64-byte block is classified at once: every byte that is neither a digit
// nor a minus sign ends a cell, and the digits one, two and three places before the cell ends are gathered
// side by side (one compress per digit place) and turned into floats 16 at a time. Only cells of an optional
// '-' and 1 to 3 ASCII digits, separated by the delimiter, are taken; anything else (a '+', a decimal point,
// padding, a quote, an empty cell, a longer number) sends the whole row back to the cell-by-cell fast path, so
// results and errors stay as they were. Such integers are exact in a float, as parse_float() gives them.
//
// Every function that uses these instructions carries BNRUN_CSV_TARGET_AVX512, so the rest of the binary stays
// at the x86-64 baseline and runs on any x86-64 CPU.
#include "data/csv/short_integer_rows.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/csv/fast_rows.h"
#include "data/csv/numbers.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace bnrun::data::csv {

#if defined(__x86_64__)
namespace {

// The bits of a 64-byte block at addresses below `limit`.
[[BNRUN_CSV_TARGET_AVX512]] inline std::uint64_t bytes_below(std::uintptr_t block, std::uintptr_t limit) {
  if (limit <= block) return 0;
  return _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(std::min<std::uintptr_t>(limit - block, 64)));
}

// The 64 bytes from `block` on, with the bytes outside [low, high) read as 0. A masked load does not touch the
// bytes it leaves out, so the block may start before `low` or run past `high`; that is also why the addresses
// are integers rather than pointers.
[[BNRUN_CSV_TARGET_AVX512]] inline __m512i load_block_within(std::uintptr_t block, std::uintptr_t low,
                                                             std::uintptr_t high) {
  return _mm512_maskz_loadu_epi8(bytes_below(block, high) & ~bytes_below(block, low),
                                 reinterpret_cast<const void*>(block));
}

// A block of cell text seen from each of its 64 bytes: what the byte itself and the bytes up to four places
// before it are. Bit i of a mask (or byte i of a vector) is about block byte i; bytes outside the cells read
// as 0, neither digit nor sign.
struct ShortIntegerBlock {
  static constexpr std::size_t kDigitPlaces = 4;  // the byte itself and the three digits before a cell end
  static constexpr std::size_t kSignPlaces = 5;   // a cell's end and its sign are at most 4 bytes apart: "-255,"

  // [back]: about the byte `back` places before. (A plain array: as a template argument, __m512i would lose its
  // vector attributes.)
  __m512i digit_value[kDigitPlaces];  // the byte minus '0'
  std::array<std::uint64_t, kDigitPlaces> is_digit{};
  std::array<std::uint64_t, kSignPlaces> is_minus{};
  std::uint64_t is_delimiter = 0;

  // `minus_before` is is_minus[0] of the block before, if this one continues it.
  [[BNRUN_CSV_TARGET_AVX512]] ShortIntegerBlock(std::uintptr_t block, std::uintptr_t low, std::uintptr_t high,
                                                char delimiter, std::uint64_t minus_before) {
    const __m512i zero_char = _mm512_set1_epi8('0');
    const __m512i ten = _mm512_set1_epi8(10);
    for (std::size_t back = 0; back < kDigitPlaces; ++back) {
      const __m512i bytes = load_block_within(block - back, low, high);
      if (back == 0) {
        is_delimiter = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(delimiter));
        is_minus[0] = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('-'));
      }
      digit_value[back] = _mm512_sub_epi8(bytes, zero_char);
      is_digit[back] = _mm512_cmplt_epu8_mask(digit_value[back], ten);
    }
    // Signs are rare enough to shift in from the masks rather than compare each shifted load again.
    for (std::size_t back = 1; back < kSignPlaces; ++back) {
      is_minus[back] = (is_minus[0] << back) | (minus_before >> (64 - back));
    }
  }

  // False if no cell ending in the block has a sign, the common case, which needs no more sign work. (The last
  // is_minus holds the signs of the block before that reach into this one.)
  bool has_signs() const { return is_minus[0] != 0 || is_minus[kSignPlaces - 1] != 0; }

  std::uint64_t cell_ends() const { return ~(is_digit[0] | is_minus[0]); }

  // Among `cell_bytes`, a byte that breaks the cell format: a fourth digit in a row, or a minus sign that does
  // not start its cell.
  bool has_misplaced_byte(std::uint64_t cell_bytes) const {
    const std::uint64_t fourth_digit = is_digit[0] & is_digit[1] & is_digit[2] & is_digit[3];
    const std::uint64_t minus_inside = is_minus[0] & (is_digit[1] | is_minus[1]);
    return ((fourth_digit | minus_inside) & cell_bytes) != 0;
  }

  // Marks the cell ends whose cell is negative: those with a minus just before their one, two or three digits.
  std::uint64_t negative_cell_ends() const {
    const std::uint64_t two_digits = is_digit[1] & is_digit[2];
    return (is_digit[1] & is_minus[2]) | (two_digits & is_minus[3]) | (two_digits & is_digit[3] & is_minus[4]);
  }

  // The ones, tens and hundreds digits of the cells ending at `ends`, side by side in the low bytes (0 where a
  // cell has no such digit).
  [[BNRUN_CSV_TARGET_AVX512]] __m512i ones(std::uint64_t ends) const {
    return _mm512_maskz_compress_epi8(ends, digit_value[1]);
  }
  [[BNRUN_CSV_TARGET_AVX512]] __m512i tens(std::uint64_t ends) const {
    return _mm512_maskz_compress_epi8(ends, _mm512_maskz_mov_epi8(is_digit[2], digit_value[2]));
  }
  [[BNRUN_CSV_TARGET_AVX512]] __m512i hundreds(std::uint64_t ends) const {
    return _mm512_maskz_compress_epi8(ends, _mm512_maskz_mov_epi8(is_digit[2] & is_digit[3], digit_value[3]));
  }
};

// The lowest `count` (>= 1) set bits of `bits`, or all of them if there are fewer.
[[BNRUN_CSV_TARGET_AVX512]] inline std::uint64_t lowest_set_bits(std::uint64_t bits, std::size_t count) {
  if (count >= static_cast<std::size_t>(std::popcount(bits))) return bits;
  const std::uint64_t last = _pdep_u64(std::uint64_t{1} << (count - 1), bits);
  return bits & ((last << 1) - 1);
}

// GCC 12 warns that the "undefined" vectors some AVX-512 intrinsics start from are used uninitialized (GCC bug
// 105593, fixed in GCC 13); they are not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// The low 32 bytes of `bytes` as 16-bit lanes.
[[BNRUN_CSV_TARGET_AVX512]] inline __m512i widen(__m512i bytes) {
  return _mm512_cvtepu8_epi16(_mm512_castsi512_si256(bytes));
}

// Stores the first `n` (<= 16) of 16 cell values as floats, negated where bit i of `negative` is set.
[[BNRUN_CSV_TARGET_AVX512]] inline void store_16(__m256i values, unsigned n, std::uint32_t negative, float* out) {
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512i magnitudes = _mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(values)));
  const __m512i signed_values =
      _mm512_mask_xor_epi32(magnitudes, static_cast<__mmask16>(negative), magnitudes, sign_bit);
  _mm512_mask_storeu_ps(out, static_cast<__mmask16>(_bzhi_u32(0xFFFF, n)), _mm512_castsi512_ps(signed_values));
}

// Stores the values of `count` (<= 32) cells as floats: their ones, tens and hundreds digits side by side in the
// low bytes, and bit i of `negative` set if cell i has a minus sign. The sign is set by flipping the sign bit,
// so "-0" gives -0.0 as parse_float() does.
[[BNRUN_CSV_TARGET_AVX512]] inline void store_short_integers(__m512i ones, __m512i tens, __m512i hundreds,
                                                             std::uint32_t negative, unsigned count, float* out) {
  const __m512i values =
      _mm512_add_epi16(widen(ones), _mm512_add_epi16(_mm512_mullo_epi16(widen(tens), _mm512_set1_epi16(10)),
                                                     _mm512_mullo_epi16(widen(hundreds), _mm512_set1_epi16(100))));
  store_16(_mm512_castsi512_si256(values), std::min(count, 16u), negative, out);
  if (count > 16) store_16(_mm512_extracti64x4_epi64(values, 1), count - 16, negative >> 16, out + 16);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Reads the `count` (>= 1) cells from `first` on into out[0, count). Returns the byte that ends the last cell
// (`end` if the text ends it), or nullptr if a cell is not a short integer or a cell but the last is not
// followed by the delimiter. Reads only [first, end).
[[BNRUN_CSV_TARGET_AVX512]] const char* read_short_integer_cells(const char* const first, const char* const end,
                                                                 std::size_t count, char delimiter, float* out) {
  const auto low = reinterpret_cast<std::uintptr_t>(first);
  const auto high = reinterpret_cast<std::uintptr_t>(end);
  std::uint64_t minus_before = 0;
  for (std::uintptr_t block_start = low;; block_start += 64) {
    const ShortIntegerBlock block(block_start, low, high, delimiter, minus_before);
    minus_before = block.is_minus[0];
    const std::uint64_t taken = lowest_set_bits(block.cell_ends(), count);  // the ends of the cells read here
    if (taken == 0) return nullptr;                                         // 64 digits or signs in a row
    const auto taken_count = static_cast<unsigned>(std::popcount(taken));
    const bool last_block = taken_count == count;
    const auto last_end = static_cast<unsigned>(63 - std::countl_zero(taken));
    // Bytes of the cells read here, and of one running on into the next block if the row goes on.
    const std::uint64_t cell_bytes = last_block ? _bzhi_u64(~std::uint64_t{0}, last_end) : ~std::uint64_t{0};

    if ((taken & ~block.is_digit[1]) != 0) return nullptr;  // a cell that is empty or ends in its sign
    if (block.has_misplaced_byte(cell_bytes)) return nullptr;
    std::uint64_t ends_between_cells = taken & ~block.is_delimiter;
    if (last_block) ends_between_cells &= ~(std::uint64_t{1} << last_end);  // the caller judges the last end
    if (ends_between_cells != 0) return nullptr;

    // The cells are not empty, so no two ends are adjacent: at most 32 of them in a block.
    const auto negative =
        block.has_signs() ? static_cast<std::uint32_t>(_pext_u64(block.negative_cell_ends(), taken)) : 0u;
    store_short_integers(block.ones(taken), block.tens(taken), block.hundreds(taken), negative, taken_count, out);
    if (last_block) return first + (block_start - low) + last_end;
    out += taken_count;
    count -= taken_count;
  }
}

}  // namespace

[[BNRUN_CSV_TARGET_AVX512]] bool append_short_integer_row_avx512(Tokenizer& tokenizer, const ColumnLayout& layout,
                                                                 RowWriter& rows) {
  return append_short_integer_row(tokenizer, layout, rows, read_short_integer_cells);
}
#endif

}  // namespace bnrun::data::csv
