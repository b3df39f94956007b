// JSON text to values, strictly: the one parser every bnrun file format goes through (configs, --set values,
// model files, results files).
//
// Beyond JSON's own syntax it refuses what would hurt later: nesting deeper than max_json_nesting (nlohmann
// copies and compares nested values recursively, so 100,000 '[' would overflow the stack long after parsing),
// numbers beyond a double, and a key repeated in one object (the last one would silently win).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bnrun {

// No config, model or results file nests more than a few levels.
inline constexpr std::size_t max_json_nesting = 64;

// Parses a whole document. Problems are bnrun::UserError "<source>:<line>:<column>: <problem>" (or
// "<source>: <problem>" where there is no single position).
nlohmann::json parse_json_text(std::string_view text, const std::string& source);
nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& source);

// The value `text` denotes if it is strict JSON, nothing otherwise (a --set value that is a bare string).
std::optional<nlohmann::json> json_value_of(std::string_view text);

// "<line>:<column>" (1-based) of byte `offset` in `text`.
std::string line_column_of(std::string_view text, std::size_t offset);

}  // namespace bnrun
