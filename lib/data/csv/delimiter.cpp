#include "data/csv/delimiter.h"

#include "data/csv.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace bnrun::data::csv {

namespace {

// Records read to decide: enough to see that rows agree with the header, few enough to cost nothing.
constexpr std::size_t sampled_records = 20;

// Per candidate, its count outside quotes in each of the first records (a quoted cell may hold any of them, and line
// breaks). A last record cut off inside quotes (a sample of a larger file) is left out.
std::array<std::vector<std::size_t>, delimiter_candidates.size()> counts_per_record(std::string_view text) {
  std::array<std::vector<std::size_t>, delimiter_candidates.size()> counts;
  std::array<std::size_t, delimiter_candidates.size()> current{};
  bool quoted = false;
  bool record_started = false;
  std::size_t records = 0;
  const auto end_record = [&] {
    if (record_started)  // blank lines are no records
      for (std::size_t c = 0; c < counts.size(); ++c) counts[c].push_back(current[c]);
    records += record_started ? 1 : 0;
    current.fill(0);
    record_started = false;
  };
  for (std::size_t i = 0; i < text.size() && records < sampled_records; ++i) {
    const char byte = text[i];
    if (!quoted && (byte == '\n' || byte == '\r')) {
      end_record();
      continue;
    }
    // A line of only spaces and tabs is blank, as the reader (which trims them) sees it: no record.
    if (byte != ' ' && byte != '\t') record_started = true;
    if (byte == '"') {
      quoted = !quoted;  // "" inside quotes toggles twice: still quoted
    } else if (!quoted) {
      const auto at = delimiter_candidates.find(byte);
      if (at != std::string_view::npos) ++current[at];
    }
  }
  if (!quoted && records < sampled_records) end_record();
  return counts;
}

std::vector<std::string> split_on(std::string_view text, char delimiter) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(delimiter, start);
    std::string_view part = text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '"')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '"')) part.remove_suffix(1);
    parts.emplace_back(part);
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

}  // namespace

std::optional<char> detect_delimiter(std::string_view text) {
  const auto counts = counts_per_record(text);
  std::size_t best = delimiter_candidates.size();
  std::size_t best_cells = 1;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    const auto& per_record = counts[c];
    if (per_record.empty() || per_record.front() == 0) continue;
    const bool every_row_agrees =
        std::all_of(per_record.begin(), per_record.end(), [&](std::size_t n) { return n == per_record.front(); });
    if (every_row_agrees && per_record.front() + 1 > best_cells) {
      best = c;
      best_cells = per_record.front() + 1;
    }
  }
  if (best == delimiter_candidates.size()) return std::nullopt;
  return delimiter_candidates[best];
}

std::optional<OtherSplit> header_split_by_another_delimiter(const std::vector<std::string>& header, char used,
                                                            const std::string& target) {
  for (const char candidate : delimiter_candidates) {
    if (candidate == used) continue;
    for (const auto& cell : header) {
      if (cell.find(candidate) == std::string::npos) continue;
      const auto names = split_on(cell, candidate);
      if (std::find(names.begin(), names.end(), target) == names.end()) continue;
      OtherSplit split{candidate, {}};
      for (const auto& each : header)
        for (auto& name : split_on(each, candidate)) split.names.push_back(std::move(name));
      return split;
    }
  }
  return std::nullopt;
}

}  // namespace bnrun::data::csv

namespace bnrun::data {

std::optional<char> delimiter_from_text(std::string_view text) {
  if (text == "auto") return detect_delimiter;
  if (text == "tab" || text == "\\t") return '\t';
  if (text.size() == 1 && text != "\"" && text != "\n" && text != "\r") return text.front();
  return std::nullopt;
}

}  // namespace bnrun::data

namespace bnrun::data::csv {

std::string delimiter_name(char delimiter) {
  if (delimiter == '\t') return "tab";
  return std::string("'") + delimiter + "'";
}

}  // namespace bnrun::data::csv
