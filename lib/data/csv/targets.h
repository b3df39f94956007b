// The target column as codes: each distinct cell text once, each row the index of its text (CsvTable's
// target_values and target_codes). A writer of rows (table_writer.h) gives codes from a dictionary of its own,
// so that parallel chunks never share one; TargetCodes then merges the chunks' dictionaries in file order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/csv.h"
#include "data/csv/messages.h"

namespace bnrun::data::csv {

// Hashes a std::string and a std::string_view alike, so that a map keyed by std::string is searched with a view.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

using TextCodes = std::unordered_map<std::string, std::uint32_t, TextHash, std::equal_to<>>;

// The distinct texts one writer has seen, coded 0, 1, 2, ... in order of first appearance. Target columns
// mostly hold a few short class names, looked up once per row: texts of up to 8 bytes are looked up as one
// 64-bit word in a small open-addressing table (a few instructions), longer ones in a hash map.
class TargetDictionary {
 public:
  explicit TargetDictionary(const Diagnostics& diagnostics);

  // The code of `text`, which is added if new. Bytes from text.data() up to `readable_end` may be read (and
  // ignored) beyond the text: the fast paths know how far their text goes on.
  std::uint32_t code_of(std::string_view text, const char* readable_end) {
    if (text.size() > 8) return code_of_long(text);
    const std::uint64_t word = short_text_word(text, readable_end);
    for (std::size_t slot = slot_of(word, text.size());; slot = (slot + 1) & (short_slots_.size() - 1)) {
      const ShortSlot& entry = short_slots_[slot];
      if (entry.length_plus_one == text.size() + 1 && entry.word == word) return entry.code;
      if (entry.length_plus_one == 0) return add_short(text, word, slot);
    }
  }
  std::uint32_t code_of(std::string_view text) { return code_of(text, text.data() + text.size()); }

  std::vector<std::string>& values() { return values_; }

 private:
  struct ShortSlot {
    std::uint64_t word = 0;             // the text's bytes, the first in the lowest, zeros above
    std::uint32_t length_plus_one = 0;  // 0: the slot is free
    std::uint32_t code = 0;
  };

  static std::uint64_t short_text_word(std::string_view text, const char* readable_end) {
    if (text.empty()) return 0;  // its data() may be null (no target column)
    std::uint64_t word = 0;
    if (readable_end - text.data() >= 8) {
      std::memcpy(&word, text.data(), sizeof word);
      return word & (~std::uint64_t{0} >> (64 - 8 * text.size()));
    }
    std::memcpy(&word, text.data(), text.size());
    return word;
  }
  std::size_t slot_of(std::uint64_t word, std::size_t length) const {
    return static_cast<std::size_t>(((word + length) * 0x9E3779B97F4A7C15) >> 32) & (short_slots_.size() - 1);
  }

  std::uint32_t add_short(std::string_view text, std::uint64_t word, std::size_t slot);
  std::uint32_t code_of_long(std::string_view text);
  std::uint32_t add_value(std::string_view text);

  const Diagnostics& diagnostics_;
  std::vector<ShortSlot> short_slots_;  // a power of two, at most half full
  std::size_t short_count_ = 0;
  TextCodes long_codes_;
  std::vector<std::string> values_;  // by code
};

// Builds the table's target values and codes from its writers' dictionaries, taken in file order: a text gets
// the table's code of its first appearance in the file, whichever thread read it, so the table is the same
// for any thread count.
class TargetCodes {
 public:
  TargetCodes(CsvTable& table, const Diagnostics& diagnostics) : table_(table), diagnostics_(diagnostics) {}

  // The rows [first_row, first_row + rows) were coded by a dictionary whose texts are `values` (by code): codes
  // them as the table does, adding the texts the table does not have yet.
  void adopt(std::size_t first_row, std::size_t rows, std::vector<std::string>& values);

 private:
  CsvTable& table_;
  const Diagnostics& diagnostics_;
  TextCodes codes_;
};

}  // namespace bnrun::data::csv
