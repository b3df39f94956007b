// Enum ↔ name tables: each enum that appears in configs and reports lists its names once, in a
// `constexpr std::array<std::pair<Enum, std::string_view>, N>`, and these three lookups serve them all.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace bnrun {

template <class Table, class Enum>
std::string_view name_in(const Table& table, Enum value) {
  for (const auto& [entry, name] : table)
    if (entry == value) return name;
  return "unknown";
}

template <class Table>
auto value_in(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::first_type> {
  for (const auto& [entry, known] : table)
    if (known == name) return entry;
  return std::nullopt;
}

template <class Table>
std::vector<std::string_view> names_in(const Table& table) {
  std::vector<std::string_view> result;
  for (const auto& entry : table) result.push_back(entry.second);
  return result;
}

}  // namespace bnrun
