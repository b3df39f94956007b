#include "data/csv/chunks.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
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

// Chunks are at most this large: a thread holds about one chunk's text in memory at a time.
constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 19;
// Chunks per thread at the least, so that a thread held up by other work leaves its share to the others.
constexpr std::size_t kChunksPerThread = 8;

struct Chunk {
  std::string_view text;  // whole lines: it ends just after a line feed, or at the end of the text
  std::size_t lines = 0;  // physical lines starting in it; without quotes each is a record or blank
  bool has_quote = false;
  std::size_t first_line = 0;  // 1-based physical line the chunk starts on
  std::size_t first_row = 0;   // table index of its first row; its slice holds `lines` rows
  std::size_t rows = 0;        // rows read: fewer than `lines` if the chunk ends in blank lines
  std::optional<RowWriter> writer;
  std::exception_ptr error;  // the first error in the chunk (errors cannot leave an OpenMP thread)
};

// Calls work(thread_index) on each of `threads` threads at once (or one after the other, lowest first, if the
// OpenMP runtime gives fewer).
template <class Work>
void on_each_thread(std::size_t threads, Work&& work) {
  const kernels::Compute compute{.threads = static_cast<int>(threads), .minimum_parallel_work = 1};
  kernels::parallel_for_blocks(compute, threads, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t thread = begin; thread < end; ++thread) work(thread);
  });
}

// Hands out the indices 0, 1, 2, ... below `count`, each once, to whichever thread asks first.
class TaskCounter {
 public:
  explicit TaskCounter(std::size_t count) : count_(count) {}
  std::optional<std::size_t> take() {
    const std::size_t index = next_.fetch_add(1, std::memory_order_relaxed);
    return index < count_ ? std::optional<std::size_t>(index) : std::nullopt;
  }

 private:
  const std::size_t count_;
  std::atomic<std::size_t> next_{0};
};

// The first line start at or after `position`: just after a line feed. Lone CRs start lines too, but cutting
// only at line feeds never separates a CRLF pair; a file with only CR line ends simply stays one chunk.
std::size_t line_start_at_or_after(std::string_view text, std::size_t position) {
  if (position == 0) return 0;
  const char* const from = text.data() + position - 1;
  const void* const line_feed = std::memchr(from, '\n', text.size() - (position - 1));
  return line_feed == nullptr ? text.size()
                              : static_cast<std::size_t>(static_cast<const char*>(line_feed) - text.data()) + 1;
}

// Chunk `index` of `count` of about equal size, cut at line starts (it may be empty if lines are long). Each
// chunk finds its own cuts, when it is first read: finding them all at once would map a page at every cut,
// which for a file written in large blocks (its page cache in folios of up to 2 MB) is nearly all of it.
std::string_view chunk_text(std::string_view text, std::size_t index, std::size_t count) {
  auto cut = [&](std::size_t k) {
    return k == count ? text.size() : line_start_at_or_after(text, text.size() * k / count);
  };
  const std::size_t begin = cut(index);
  return text.substr(begin, cut(index + 1) - begin);
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

// Sizes the table's vectors for `rows` rows. The threads first fault in the pages, each a part: that is kernel
// work (zeroing pages, one trap each) which for the 188 MB of Fashion-MNIST took ~60 ms in one thread and ~30 ms
// in two. The resize must come after it, as it writes every value once.
void size_table(CsvTable& table, std::size_t width, std::size_t rows, std::size_t threads) {
  table.features.reserve(rows * width);
  table.target_codes.reserve(rows);
  float* const features = table.features.data() + table.features.size();
  std::uint32_t* const codes = table.target_codes.data() + table.target_codes.size();
  const std::size_t new_rows = rows - table.rows;
  on_each_thread(threads, [&](std::size_t thread) {
    const std::size_t begin = new_rows * thread / threads;
    const std::size_t end = new_rows * (thread + 1) / threads;
    prefault_for_writing(features + begin * width, (end - begin) * width * sizeof(float));
    prefault_for_writing(codes + begin, (end - begin) * sizeof(std::uint32_t));
  });
  table.features.resize(rows * width);
  table.target_codes.resize(rows);
}

void read_chunk(Chunk& chunk, const RowReader& reader, char delimiter, CsvTable& table) {
  try {
    Tokenizer tokenizer(chunk.text, delimiter, reader.diagnostics, chunk.first_line);
    chunk.writer.emplace(RowWriter::into_slice(table, reader.layout.feature_names.size(), chunk.first_row, chunk.lines,
                                               reader.diagnostics));
    RowScratch scratch;
    while (append_next_rows(tokenizer, scratch, reader, *chunk.writer)) {
    }
    chunk.rows = chunk.writer->rows_written();
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

// Gives back the pages of the chunks the threads are done with, and feeds the hasher, if there is one, the
// chunks in file order, whichever order they are done in: whichever thread finishes a chunk goes on over the
// chunks finished since in file order (one thread at a time; the others go on with their chunks). A chunk's
// pages go back once it is hashed, so the hash reads pages the pass has just mapped instead of mapping them
// again; or at once, when there is nothing to hash or the hashing has fallen behind (a thread held up by
// another process), so that the text a pass holds stays small whatever the order.
class DoneChunks {
 public:
  // `hasher`, if not null, has been fed the text before the chunks.
  DoneChunks(const std::vector<Chunk>& chunks, const FileContents* file, ContentHasher* hasher)
      : chunks_(chunks), file_(file), hasher_(hasher), done_(std::make_unique<std::atomic<bool>[]>(chunks.size())) {}

  void done(std::size_t index) {
    done_[index].store(true, std::memory_order_release);
    if (hasher_ == nullptr || index >= next_.load(std::memory_order_relaxed) + kChunksAheadOfTheHash) release(index);
    if (hasher_ == nullptr || !hashing_.try_lock()) return;  // the thread hashing now will see it, or finish() will
    hash_done_chunks();
    hashing_.unlock();
  }

  // After the pass: the chunks not hashed yet, then every page of the text, for any a thread mapped again with a
  // neighbour it read (a fault maps a group of pages, up to a 2 MB folio) after they were given back.
  void finish() {
    if (hasher_ != nullptr) hash_done_chunks();
    if (file_ != nullptr) file_->release_pages(file_->text().data(), file_->text().data() + file_->text().size());
  }

 private:
  static constexpr std::size_t kChunksAheadOfTheHash = 4;

  void hash_done_chunks() {
    for (std::size_t next = next_.load(std::memory_order_relaxed);
         next < chunks_.size() && done_[next].load(std::memory_order_acquire); ++next) {
      hasher_->add(chunks_[next].text);
      release(next);
      next_.store(next + 1, std::memory_order_relaxed);
    }
  }

  void release(std::size_t index) const {
    if (file_ != nullptr)
      file_->release_pages(chunks_[index].text.data(), chunks_[index].text.data() + chunks_[index].text.size());
  }

  const std::vector<Chunk>& chunks_;
  const FileContents* const file_;
  ContentHasher* const hasher_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::mutex hashing_;
  std::atomic<std::size_t> next_{0};  // the first chunk not hashed yet; only the thread holding hashing_ moves it
};

// Counts every chunk's lines, feeding `hasher` (if any) the file in order; false (and stops) when a chunk holds a
// quote.
bool survey_chunks(std::string_view text, std::vector<Chunk>& chunks, std::size_t threads, const FileContents* file,
                   ContentHasher* hasher) {
  TaskCounter tasks(chunks.size());
  DoneChunks done_chunks(chunks, file, hasher);
  std::atomic<bool> quote_seen{false};
  on_each_thread(threads, [&](std::size_t) {
    while (const auto index = tasks.take()) {
      if (quote_seen.load(std::memory_order_relaxed)) return;
      Chunk& chunk = chunks[*index];
      chunk.text = chunk_text(text, *index, chunks.size());
      survey_chunk(chunk);
      if (chunk.has_quote) quote_seen.store(true, std::memory_order_relaxed);
      done_chunks.done(*index);
    }
  });
  done_chunks.finish();
  return !quote_seen.load();
}

// Reads the chunks, giving the pages back behind them. A chunk after one that failed is not read: the error
// comes first in the file.
void read_chunks(std::vector<Chunk>& chunks, std::size_t threads, const RowReader& reader, char delimiter,
                 const FileContents* file, CsvTable& table) {
  TaskCounter tasks(chunks.size());
  DoneChunks done_chunks(chunks, file, nullptr);
  std::atomic<std::size_t> first_failed{chunks.size()};
  on_each_thread(threads, [&](std::size_t) {
    while (const auto index = tasks.take()) {
      if (*index > first_failed.load(std::memory_order_relaxed)) continue;
      Chunk& chunk = chunks[*index];
      read_chunk(chunk, reader, delimiter, table);
      if (chunk.error) {
        std::size_t failed = first_failed.load();
        while (*index < failed && !first_failed.compare_exchange_weak(failed, *index)) {
        }
      }
      done_chunks.done(*index);
    }
  });
  done_chunks.finish();
}

}  // namespace

bool read_rows_in_parallel(const Tokenizer& tokenizer, const RowReader& reader, const ChunkLimits& limits,
                           const FileContents* file, ContentHasher* hasher, CsvTable& table,
                           TargetCodes& target_codes) {
  const std::string_view text = tokenizer.rest();
  const std::size_t minimum_chunk_bytes = std::max<std::size_t>(limits.minimum_chunk_bytes, 1);
  const std::size_t threads = std::min(text.size() / minimum_chunk_bytes, limits.threads);
  if (threads < 2) return false;
  const std::size_t chunk_bytes =
      std::clamp(text.size() / (threads * kChunksPerThread), minimum_chunk_bytes, kMaxChunkBytes);
  std::vector<Chunk> chunks(std::max(threads, (text.size() + chunk_bytes - 1) / chunk_bytes));
  // The hash starts with what comes before the chunks: the header and the first row.
  if (hasher != nullptr) {
    hasher->add(std::string_view(file->text().data(), static_cast<std::size_t>(text.data() - file->text().data())));
  }
  if (!survey_chunks(text, chunks, threads, file, hasher)) return false;

  const std::size_t width = reader.layout.feature_names.size();
  place_chunks(chunks, tokenizer.line(), table.rows);
  size_table(table, width, chunks.back().first_row + chunks.back().lines, threads);
  read_chunks(chunks, threads, reader, tokenizer.delimiter(), file, table);
  set_row_count(table, width, table.rows + rows_read_in_file_order(chunks, reader.diagnostics));
  for (Chunk& chunk : chunks) add_written_rows(*chunk.writer, target_codes, table);
  return true;
}

}  // namespace bnrun::data::csv
