// Cells of short unsigned integers, 32 bytes at a time (AVX2, BMI2).
//
// Pixel-like data is rows of hundreds of cells "0" to "255". Read cell by cell, each costs a scan, the steps of
// a conversion and a store, some 80 instructions. Here a 32-byte block is classified at once: every byte that
// is not a digit ends a cell, and for every byte the value of the (up to three) digits just before it is
// computed, all 32 side by side, and converted to floats. The cell ends then pick their values out one by one:
// a few instructions a cell. (AVX-512 has an instruction to pick them out all at once, which AVX2 lacks; see
// short_integer_rows_avx512.cpp.) Only cells of 1 to 3 ASCII digits, separated by the delimiter, are taken;
// anything else (a sign, a decimal point, padding, a quote, an empty cell, a longer number) sends the whole row
// back to the cell-by-cell fast path, so results and errors stay as they were. Such integers are exact in a
// float, as parse_float() gives them.
//
// Every function that uses these instructions carries BNRUN_CSV_TARGET_AVX2, so the rest of the binary stays at
// the x86-64 baseline and runs on any x86-64 CPU.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "data/csv/short_integer_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace bnrun::data::csv {

#if defined(__x86_64__)
namespace {

constexpr std::ptrdiff_t kBlockBytes = 32;

// The lowest `count` (>= 1) set bits of `bits`, or all of them if there are fewer.
[[BNRUN_CSV_TARGET_AVX2]] inline std::uint32_t lowest_set_bits(std::uint32_t bits, std::size_t count) {
  if (count >= static_cast<std::size_t>(std::popcount(bits))) return bits;
  const std::uint32_t last = _pdep_u32(std::uint32_t{1} << (count - 1), bits);
  return bits & ((last << 1) - 1);
}

// Bytes whose value minus '0' is below 10: the digits, as 0xFF.
[[BNRUN_CSV_TARGET_AVX2]] inline __m256i digit_bytes(__m256i digit_values) {
  return _mm256_cmpeq_epi8(_mm256_min_epu8(digit_values, _mm256_set1_epi8(9)), digit_values);
}

// A 32-byte block seen from each of its bytes: which bytes are digits and delimiters, and the value of the run
// of up to three digits that ends just before each byte (the value of the cell that byte would end).
struct ShortIntegerBlock {
  std::uint32_t digits = 0;
  std::uint32_t delimiters = 0;
  alignas(32) float value_before[kBlockBytes];

  // `previous` is the block before, whose last bytes the values here look back into (zeros before the first).
  [[BNRUN_CSV_TARGET_AVX2]] ShortIntegerBlock(__m256i bytes, __m256i previous, char delimiter) {
    const __m256i zero_char = _mm256_set1_epi8('0');
    digits = static_cast<std::uint32_t>(_mm256_movemask_epi8(digit_bytes(_mm256_sub_epi8(bytes, zero_char))));
    delimiters =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(delimiter))));

    // The bytes one, two and three places back: the 16 bytes straddling the two blocks supply the first few.
    const __m256i straddling = _mm256_permute2x128_si256(previous, bytes, 0x21);
    const __m256i back1 = _mm256_sub_epi8(_mm256_alignr_epi8(bytes, straddling, 15), zero_char);
    const __m256i back2 = _mm256_sub_epi8(_mm256_alignr_epi8(bytes, straddling, 14), zero_char);
    const __m256i back3 = _mm256_sub_epi8(_mm256_alignr_epi8(bytes, straddling, 13), zero_char);
    // A digit counts only while the run of digits back from the byte goes on.
    const __m256i run1 = digit_bytes(back1);
    const __m256i run2 = _mm256_and_si256(run1, digit_bytes(back2));
    const __m256i run3 = _mm256_and_si256(run2, digit_bytes(back3));
    const __m256i ones = _mm256_and_si256(back1, run1);
    const __m256i tens = _mm256_and_si256(back2, run2);
    const __m256i hundreds = _mm256_and_si256(back3, run3);
    // ones + 10 × tens fits a byte (99 at most); the hundreds are added in 16 bits.
    const __m256i twice_tens = _mm256_add_epi8(tens, tens);
    const __m256i eight_tens =
        _mm256_add_epi8(_mm256_add_epi8(twice_tens, twice_tens), _mm256_add_epi8(twice_tens, twice_tens));
    const __m256i below_hundred = _mm256_add_epi8(ones, _mm256_add_epi8(eight_tens, twice_tens));
    for (int half = 0; half < 2; ++half) {
      const __m128i low =
          half == 0 ? _mm256_castsi256_si128(below_hundred) : _mm256_extracti128_si256(below_hundred, 1);
      const __m128i high = half == 0 ? _mm256_castsi256_si128(hundreds) : _mm256_extracti128_si256(hundreds, 1);
      const __m256i values = _mm256_add_epi16(_mm256_cvtepu8_epi16(low),
                                              _mm256_mullo_epi16(_mm256_cvtepu8_epi16(high), _mm256_set1_epi16(100)));
      for (int quarter = 0; quarter < 2; ++quarter) {
        const __m128i part = quarter == 0 ? _mm256_castsi256_si128(values) : _mm256_extracti128_si256(values, 1);
        _mm256_store_ps(value_before + 16 * half + 8 * quarter, _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(part)));
      }
    }
  }
};

// Reads the `count` (>= 1) cells from `first` on into out[0, count). Returns the byte that ends the last cell
// (`end` if the text ends it), or nullptr if a cell is not 1 to 3 digits or a cell but the last is not followed
// by the delimiter. Reads only [first, end).
[[BNRUN_CSV_TARGET_AVX2]] const char* read_short_integer_cells_avx2(const char* const first, const char* const end,
                                                                    std::size_t count, char delimiter, float* out) {
  __m256i previous = _mm256_setzero_si256();  // before the first cell: no digits
  std::uint64_t digits_before = 0;            // the previous block's digit bits, in the high half
  for (const char* block_start = first;; block_start += kBlockBytes) {
    __m256i bytes;
    if (end - block_start >= kBlockBytes) {
      bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block_start));
    } else {
      // The text ends in this block: a copy, zeros past the end, which end the last cell as the text's end does.
      alignas(32) char tail[kBlockBytes] = {};
      std::memcpy(tail, block_start, static_cast<std::size_t>(end - block_start));
      bytes = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    }
    const ShortIntegerBlock block(bytes, previous, delimiter);
    // Bit i of digits_back[k]: the byte k places before byte i is a digit.
    const std::uint64_t digit_history = (std::uint64_t{block.digits} << 32) | digits_before;
    auto digits_back = [&](int places) { return static_cast<std::uint32_t>(digit_history >> (32 - places)); };

    const std::uint32_t taken = lowest_set_bits(~block.digits, count);  // the ends of the cells read here
    if (taken == 0) return nullptr;                                     // 32 digits in a row
    const auto taken_count = static_cast<std::size_t>(std::popcount(taken));
    const bool last_block = taken_count == count;
    const auto last_end = static_cast<unsigned>(31 - std::countl_zero(taken));
    std::uint32_t ends_between_cells = taken & ~block.delimiters;
    if (last_block) ends_between_cells &= ~(std::uint32_t{1} << last_end);  // the caller judges the last end
    const std::uint32_t four_digits = digits_back(1) & digits_back(2) & digits_back(3) & digits_back(4);
    if ((taken & ~digits_back(1)) != 0 || (taken & four_digits) != 0 || ends_between_cells != 0) {
      return nullptr;  // an empty cell, one of four digits or more, or a cell ended by something else
    }

    for (std::uint32_t ends = taken; ends != 0; ends &= ends - 1) *out++ = block.value_before[std::countr_zero(ends)];
    if (last_block) return block_start + last_end;
    count -= taken_count;
    previous = bytes;
    digits_before = block.digits;
  }
}

}  // namespace

[[BNRUN_CSV_TARGET_AVX2]] bool append_short_integer_row_avx2(Tokenizer& tokenizer, const ColumnLayout& layout,
                                                             RowWriter& rows) {
  return append_short_integer_row(tokenizer, layout, rows, read_short_integer_cells_avx2);
}
#endif

}  // namespace bnrun::data::csv
