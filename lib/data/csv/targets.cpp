#include "data/csv/targets.h"

#include <fmt/format.h>

#include <limits>

namespace bnrun::data::csv {

TargetDictionary::TargetDictionary(const Diagnostics& diagnostics) : diagnostics_(diagnostics), short_slots_(16) {}

namespace {

// Codes are 32-bit to keep a row's code at 4 bytes; a column of four billion distinct targets holds no classes.
void require_room_for_a_code(std::size_t codes, const Diagnostics& diagnostics) {
  if (codes == std::numeric_limits<std::uint32_t>::max()) {
    diagnostics.fail_file(
        fmt::format("the target column has more than {} distinct values", std::numeric_limits<std::uint32_t>::max()));
  }
}

}  // namespace

std::uint32_t TargetDictionary::add_value(std::string_view text) {
  require_room_for_a_code(values_.size(), diagnostics_);
  values_.emplace_back(text);
  return static_cast<std::uint32_t>(values_.size() - 1);
}

std::uint32_t TargetDictionary::add_short(std::string_view text, std::uint64_t word, std::size_t slot) {
  const std::uint32_t code = add_value(text);
  short_slots_[slot] = {word, static_cast<std::uint32_t>(text.size() + 1), code};
  if (2 * ++short_count_ > short_slots_.size()) {
    std::vector<ShortSlot> old(2 * short_slots_.size());
    old.swap(short_slots_);
    for (const ShortSlot& entry : old) {
      if (entry.length_plus_one == 0) continue;
      std::size_t free_slot = slot_of(entry.word, entry.length_plus_one - 1);
      while (short_slots_[free_slot].length_plus_one != 0) free_slot = (free_slot + 1) & (short_slots_.size() - 1);
      short_slots_[free_slot] = entry;
    }
  }
  return code;
}

std::uint32_t TargetDictionary::code_of_long(std::string_view text) {
  const auto found = long_codes_.find(text);
  if (found != long_codes_.end()) return found->second;
  const std::uint32_t code = add_value(text);
  long_codes_.emplace(text, code);
  return code;
}

void TargetCodes::adopt(std::size_t first_row, std::size_t rows, std::vector<std::string>& values) {
  std::vector<std::uint32_t> table_code(values.size());
  bool same_codes = true;
  for (std::size_t code = 0; code < values.size(); ++code) {
    require_room_for_a_code(table_.target_values.size(), diagnostics_);
    const auto [entry, added] =
        codes_.try_emplace(values[code], static_cast<std::uint32_t>(table_.target_values.size()));
    if (added) table_.target_values.push_back(std::move(values[code]));
    table_code[code] = entry->second;
    same_codes = same_codes && entry->second == code;
  }
  if (same_codes) return;
  std::uint32_t* const codes = table_.target_codes.data() + first_row;
  for (std::size_t row = 0; row < rows; ++row) codes[row] = table_code[codes[row]];
}

}  // namespace bnrun::data::csv
