#include "data/csv/chunks.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>
#include <vector>

#include "data/csv/table_writer.h"
#include "kernels/parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bnrun::data::csv {
namespace {

struct Chunk {
  std::string_view text;  // whole lines: it ends just after a line feed, or at the end of the text
  std::size_t lines = 0;  // physical lines starting in it; without quotes each is a record or blank
  bool has_quote = false;
  std::size_t first_line = 0;  // 1-based physical line the chunk starts on
  std::size_t first_row = 0;   // table index of its first row; its slice holds `lines` rows
  std::size_t rows = 0;        // rows read: fewer than `lines` if the chunk ends in blank lines
  std::exception_ptr error;    // the first error in the chunk (errors cannot leave an OpenMP thread)
};

std::size_t worthwhile_chunk_count(std::size_t bytes, const ChunkLimits& limits) {
  return std::min(bytes / std::max<std::size_t>(limits.minimum_chunk_bytes, 1), limits.threads);
}

// Calls work(chunk) for every chunk, each chunk on a thread of its own. The chunk count already weighed the
// work against the cost of a thread and the thread budget (worthwhile_chunk_count).
template <class Work>
void for_each_chunk(std::vector<Chunk>& chunks, Work&& work) {
  const kernels::Compute compute{.threads = static_cast<int>(chunks.size()), .minimum_parallel_work = 1};
  kernels::parallel_for_blocks(compute, chunks.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) work(chunks[i]);
  });
}

// The first line start at or after `position`: just after a line feed. Lone CRs start lines too, but cutting
// only at line feeds never separates a CRLF pair; a file with only CR line ends simply stays one chunk.
std::size_t line_start_at_or_after(std::string_view text, std::size_t position) {
  if (position == 0) return 0;
  const char* const from = text.data() + position - 1;
  const void* const line_feed = std::memchr(from, '\n', text.size() - (position - 1));
  return line_feed == nullptr ? text.size()
                              : static_cast<std::size_t>(static_cast<const char*>(line_feed) - text.data()) + 1;
}

// Cuts `text` into `count` chunks of about equal size at line starts (a chunk may be empty if lines are long).
std::vector<Chunk> cut_at_line_starts(std::string_view text, std::size_t count) {
  std::vector<Chunk> chunks(count);
  std::size_t begin = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t target = text.size() * (k + 1) / count;
    const std::size_t end = k + 1 == count ? text.size() : line_start_at_or_after(text, std::max(begin, target));
    chunks[k].text = text.substr(begin, end - begin);
    begin = end;
  }
  return chunks;
}

// The bytes the chunk survey looks for, found in one pass: the survey is bound by memory bandwidth, so three
// separate memchr-style passes would take three times as long.
struct ByteCensus {
  std::size_t line_feeds = 0;
  bool has_carriage_return = false;
  bool has_quote = false;
};

ByteCensus take_census(std::string_view text) {
  ByteCensus census;
  const char* p = text.data();
  const char* const end = p + text.size();
#if defined(__SSE2__)
  // Line feeds are counted in 16 byte-wide counters (a match is -1, so subtracting it adds one), summed into
  // the total before any can overflow: no popcount, which the x86-64 baseline lacks.
  constexpr std::ptrdiff_t kBlocksPerSum = 255;
  const __m128i line_feed = _mm_set1_epi8('\n');
  const __m128i carriage_return = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i zero = _mm_setzero_si128();
  __m128i rare_bytes = zero;  // where a CR or a quote was seen
  __m128i line_feed_sums = zero;
  while (end - p >= 16) {
    const char* const sum_end = p + 16 * std::min(kBlocksPerSum, (end - p) / 16);
    __m128i line_feed_counts = zero;
    for (; p != sum_end; p += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      line_feed_counts = _mm_sub_epi8(line_feed_counts, _mm_cmpeq_epi8(bytes, line_feed));
      rare_bytes = _mm_or_si128(rare_bytes, _mm_cmpeq_epi8(bytes, carriage_return));
      rare_bytes = _mm_or_si128(rare_bytes, _mm_cmpeq_epi8(bytes, quote));
    }
    line_feed_sums = _mm_add_epi64(line_feed_sums, _mm_sad_epu8(line_feed_counts, zero));
  }
  census.line_feeds = static_cast<std::size_t>(_mm_cvtsi128_si64(line_feed_sums)) +
                      static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(line_feed_sums, line_feed_sums)));
  if (_mm_movemask_epi8(rare_bytes) != 0) {  // rare indeed: tell the two apart the slow way
    const auto scanned = static_cast<std::size_t>(p - text.data());
    census.has_carriage_return = std::memchr(text.data(), '\r', scanned) != nullptr;
    census.has_quote = std::memchr(text.data(), '"', scanned) != nullptr;
  }
#endif
  for (; p != end; ++p) {
    census.line_feeds += *p == '\n';
    census.has_carriage_return |= *p == '\r';
    census.has_quote |= *p == '"';
  }
  return census;
}

std::size_t count_lone_carriage_returns(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1)) {
    if (i + 1 == text.size() || text[i + 1] != '\n') ++count;
  }
  return count;
}

// Counts the chunk's physical lines as the Tokenizer does (LF, CRLF and a lone CR each end one; an
// unterminated last line counts too) and notes whether it holds a quote.
void survey_chunk(Chunk& chunk) {
  const std::string_view text = chunk.text;
  const ByteCensus census = take_census(text);
  chunk.has_quote = census.has_quote;
  chunk.lines = census.line_feeds;
  if (census.has_carriage_return) chunk.lines += count_lone_carriage_returns(text);
  if (!text.empty() && text.back() != '\n' && text.back() != '\r') ++chunk.lines;
}

// Gives each chunk the line it starts on and the first row of its slice of the table.
void place_chunks(std::vector<Chunk>& chunks, std::size_t first_line, std::size_t first_row) {
  for (Chunk& chunk : chunks) {
    chunk.first_line = first_line;
    chunk.first_row = first_row;
    first_line += chunk.lines;
    first_row += chunk.lines;
  }
}

// Sizes the table's vectors for `rows` rows. The chunk threads first fault in the feature pages, each its own
// slice: that is kernel work (zeroing pages, one trap each) which for the 188 MB of Fashion-MNIST took ~60 ms
// in one thread and ~30 ms in two. The resize must come after it, as it writes every value once.
void size_table_for_chunks(CsvTable& table, std::size_t width, std::size_t rows, std::vector<Chunk>& chunks) {
  table.features.reserve(rows * width);
  float* const features = table.features.data();
  for_each_chunk(chunks, [&](const Chunk& chunk) {
    prefault_for_writing(features + chunk.first_row * width, chunk.lines * width * sizeof(float));
  });
  table.features.resize(rows * width);
  table.targets.resize(rows);
  table.line_numbers.resize(rows);
}

void read_chunk(Chunk& chunk, const RowReader& reader, char delimiter, CsvTable& table) {
  try {
    Tokenizer tokenizer(chunk.text, delimiter, reader.diagnostics, chunk.first_line);
    RowWriter rows = RowWriter::into_slice(table, reader.layout.feature_names.size(), chunk.first_row, chunk.lines);
    RowScratch scratch;
    while (append_next_row(tokenizer, scratch, reader, rows)) {
    }
    chunk.rows = rows.rows_written();
  } catch (...) {
    chunk.error = std::current_exception();
  }
}

// Throws the error the serial reader would have met first, if any; returns the number of rows read. A chunk
// sees only its own text, so a chunk ending in blank lines cannot tell that more data follows: that is a
// blank line in the middle of the file, and it comes before anything a later chunk reports.
std::size_t rows_read_in_file_order(const std::vector<Chunk>& chunks, const Diagnostics& diagnostics) {
  std::optional<std::size_t> blank_tail_line;  // where the blank lines at the end of a chunk start
  std::size_t rows = 0;
  for (const Chunk& chunk : chunks) {
    if (blank_tail_line && (chunk.rows > 0 || chunk.error)) diagnostics.fail_blank_line(*blank_tail_line);
    if (chunk.error) std::rethrow_exception(chunk.error);
    // Without quotes each of the chunk's lines up to its first blank one holds one record.
    if (!blank_tail_line && chunk.rows < chunk.lines) blank_tail_line = chunk.first_line + chunk.rows;
    rows += chunk.rows;
  }
  return rows;
}

}  // namespace

bool read_rows_in_parallel(const Tokenizer& tokenizer, const RowReader& reader, const ChunkLimits& limits,
                           CsvTable& table) {
  const std::string_view text = tokenizer.rest();
  const std::size_t chunk_count = worthwhile_chunk_count(text.size(), limits);
  if (chunk_count < 2) return false;
  std::vector<Chunk> chunks = cut_at_line_starts(text, chunk_count);
  for_each_chunk(chunks, survey_chunk);
  if (std::any_of(chunks.begin(), chunks.end(), [](const Chunk& chunk) { return chunk.has_quote; })) return false;

  const std::size_t width = reader.layout.feature_names.size();
  place_chunks(chunks, tokenizer.line(), table.rows);
  size_table_for_chunks(table, width, chunks.back().first_row + chunks.back().lines, chunks);
  for_each_chunk(chunks, [&](Chunk& chunk) { read_chunk(chunk, reader, tokenizer.delimiter(), table); });
  set_row_count(table, width, table.rows + rows_read_in_file_order(chunks, reader.diagnostics));
  return true;
}

}  // namespace bnrun::data::csv
