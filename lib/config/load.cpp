#include "config/load.h"

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/json_reader.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_text.h"
#include "core/printable.h"
#include "core/text.h"

namespace bnrun::config {

namespace {

using nlohmann::json;

struct PathSegment {
  std::string key;  // empty for an index segment
  std::size_t index = 0;
  bool is_index = false;
};

std::vector<PathSegment> parse_key_path(const std::string& path, const std::string& assignment,
                                        std::string_view origin) {
  std::vector<PathSegment> segments;
  std::size_t i = 0;
  auto fail = [&](const std::string& problem) {
    return UserError(fmt::format("{} {}: {}", origin, assignment, problem));
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw fail("unclosed '[' in the key path");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
        throw fail(fmt::format("expected an array index in [], got \"[{}]\"", digits));
      segments.push_back({"", std::stoul(digits), true});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    const std::size_t end = path.find_first_of(".[", i);
    const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.empty()) throw fail("empty key in the key path");
    segments.push_back({key, 0, false});
    i = end == std::string::npos ? path.size() : end;
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) throw fail("the key path ends with '.'");
    }
  }
  if (segments.empty()) throw fail("expected key.path=value");
  return segments;
}

// Paths in the file are relative to the file; a path typed on the command line is relative to where it was
// typed, so an overridden data path is made absolute here, before the file's folder is applied.
void make_data_paths_absolute(json& document, const std::string& assignment) {
  const std::string key = assignment.substr(0, assignment.find('='));
  if (key != "dataset.path" && key != "dataset.train" && key != "dataset.test") return;
  json& value = document["dataset"][key.substr(key.find('.') + 1)];
  if (value.is_string() && !value.get<std::string>().empty() &&
      std::filesystem::path(value.get<std::string>()).is_relative())
    value = std::filesystem::absolute(value.get<std::string>()).lexically_normal().string();
}

}  // namespace

void set_value(json& document, const std::string& key_path, json value, std::string_view origin) {
  const std::string assignment =
      fmt::format("{}={}", key_path, value.is_string() ? value.get<std::string>() : value.dump());
  json* node = &document;
  std::string walked;
  for (const PathSegment& segment : parse_key_path(key_path, assignment, origin)) {
    if (segment.is_index) {
      if (!node->is_array())
        throw UserError(
            fmt::format("{} {}: {} is not an array", origin, assignment, walked.empty() ? "the config" : walked));
      if (segment.index >= node->size())
        throw UserError(fmt::format("{} {}: {} has {} entries (indices 0 to {})", origin, assignment, walked,
                                    node->size(), node->empty() ? 0 : node->size() - 1));
      node = &(*node)[segment.index];
      walked += fmt::format("[{}]", segment.index);
    } else {
      if (node->is_null()) *node = json::object();
      if (!node->is_object())
        throw UserError(
            fmt::format("{} {}: {} is not an object", origin, assignment, walked.empty() ? "the config" : walked));
      node = &(*node)[segment.key];
      walked += walked.empty() ? segment.key : "." + segment.key;
    }
  }
  *node = std::move(value);
}

void apply_override(json& document, const std::string& assignment, std::string_view origin) {
  const std::size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw UserError(fmt::format("{} {}: expected key.path=value", origin, assignment));
  const std::string text = assignment.substr(equals + 1);
  if (excessive_json_nesting_offset(text, max_json_nesting) != std::string::npos)
    throw UserError(fmt::format("{} {}: the value nests more than {} levels deep", origin,
                                assignment.substr(0, equals), max_json_nesting));
  auto value = json_value_of(text);
  if (!value) {
    // Configs are JSON, and so are the results that repeat them: a string must be UTF-8 (JSON text always is).
    if (!is_valid_utf8(text))
      throw UserError(fmt::format("{} {}: the value is not valid UTF-8 text", origin, assignment));
    value = text;
  }
  set_value(document, assignment.substr(0, equals), std::move(*value), origin);
}

json read_config_document(const std::string& path) {
  // A few MB is a config of thousands of layers; more is a wrong path (a data file, /dev/zero).
  constexpr std::size_t max_config_bytes = 8'000'000;
  return parse_json_text(read_file(path, "config file", max_config_bytes), path);
}

void select_arms(json& document, const std::vector<std::string>& names) {
  if (!document.is_object()) return;  // parse_config says what is wrong with it
  json& experiment = document["experiment"];
  if (experiment.is_null()) experiment = json::object();
  if (!experiment.is_object()) return;
  const char* list_key = experiment.contains("arms") ? "arms" : "variants";
  const json configured = experiment.contains(list_key) ? experiment[list_key] : json::array({"bn", "no_bn"});
  std::vector<std::string> configured_names;
  json selected = json::array();
  for (const auto& name : names) {
    std::optional<json> entry;
    if (configured.is_array())
      for (std::size_t i = 0; i < configured.size() && !entry; ++i) {
        // An entry that is not a valid arm is reported by parse_config with its key path.
        try {
          if (experiment::parse_arm(configured[i], "").name == name) entry = configured[i];
        } catch (const KeyPathError&) {
        }
      }
    if (!entry) {
      std::vector<std::string> kinds;
      for (const auto& kind : experiment::arm_kinds()) kinds.emplace_back(kind.name);
      if (std::find(kinds.begin(), kinds.end(), name) == kinds.end())
        throw UserError(fmt::format("--arms {}: not an arm of the config nor an arm kind ({})", name,
                                    fmt::join(kinds, ", ")));
      entry = name;
    }
    if (std::find(configured_names.begin(), configured_names.end(), name) != configured_names.end())
      throw UserError(fmt::format("--arms: \"{}\" is listed twice", name));
    configured_names.push_back(name);
    selected.push_back(*entry);
  }
  if (selected.empty()) throw UserError("--arms: expected at least one arm, such as --arms bn,no_bn");
  experiment.erase("variants");
  experiment["arms"] = selected;
  const bool keeps_reference = experiment.contains("reference") && experiment["reference"].is_string() &&
                               std::find(names.begin(), names.end(), experiment["reference"].get<std::string>()) !=
                                   names.end();
  if (!keeps_reference) experiment.erase("reference");
}

Config resolve_config(json document, const std::string& path, const std::vector<Override>& overrides,
                      const std::vector<std::string>& arms) {
  for (const auto& override_ : overrides) {
    apply_override(document, override_.assignment, override_.origin);
    if (override_.from_command_line()) make_data_paths_absolute(document, override_.assignment);
  }
  if (!arms.empty()) select_arms(document, arms);
  const std::filesystem::path file(path);
  try {
    return parse_config(document, file.parent_path().string(), file.stem().string());
  } catch (const KeyPathError& error) {
    // Say where a bad value came from when an override set it (the last one to set it wins, as it was applied last).
    for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) {
      const std::string key = it->assignment.substr(0, it->assignment.find('='));
      if (error.key_path().rfind(key, 0) == 0)
        throw UserError(fmt::format("{}: {} (from {} {})", path, error.what(), it->origin, it->assignment));
    }
    throw UserError(fmt::format("{}: {}", path, error.what()));
  }
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<Override> tagged;
  for (const auto& assignment : overrides) tagged.push_back({assignment, "--set"});
  return resolve_config(read_config_document(path), path, tagged);
}

}  // namespace bnrun::config
