#include "config/load.h"

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/json_reader.h"
#include "core/error.h"
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

std::string line_column_of(const std::string& text, std::size_t byte) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

// nlohmann's messages start "[json.exception.parse_error.101] parse error at line 3, column 5: "; keep the rest,
// on one line.
std::string parse_problem(const std::string& message) {
  const std::size_t colon = message.find(": ");
  std::string problem = colon == std::string::npos ? message : message.substr(colon + 2);
  for (char& c : problem)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return problem;
}

// nlohmann reports a number beyond the range of a double ("1e400") as out_of_range error 406, without a position
// but quoting the number ("[json.exception.out_of_range.406] number overflow parsing '1e400'"): the line and
// column are where that number first appears.
std::string number_overflow_message(const std::string& text, const std::string& source, const std::string& what) {
  const std::size_t prefix_end = what.find("] ");
  const std::string problem = prefix_end == std::string::npos ? what : what.substr(prefix_end + 2);
  const std::size_t open = problem.find('\'');
  const std::size_t close = problem.rfind('\'');
  const std::size_t byte = open < close ? text.find(problem.substr(open + 1, close - open - 1)) : std::string::npos;
  const std::string position = byte == std::string::npos ? "" : ":" + line_column_of(text, byte);
  return fmt::format("{}{}: invalid JSON: {} (beyond the range of a double)", source, position, problem);
}

std::string read_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw UserError(fmt::format("{}: is a directory, not a config file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot open config file: {}", path, std::strerror(errno)));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
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

json parse_json_text(const std::string& text, const std::string& source) {
  constexpr std::size_t max_nesting = 64;
  const std::size_t too_deep = excessive_json_nesting_offset(text, max_nesting);
  if (too_deep != std::string::npos)
    throw UserError(fmt::format("{}:{}: arrays and objects nest more than {} levels deep", source,
                                line_column_of(text, too_deep), max_nesting));
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    const std::size_t byte = error.byte > 0 ? error.byte - 1 : 0;
    throw UserError(
        fmt::format("{}:{}: invalid JSON: {}", source, line_column_of(text, byte), parse_problem(error.what())));
  } catch (const json::out_of_range& error) {
    throw UserError(number_overflow_message(text, source, error.what()));
  }
}

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
  if (excessive_json_nesting_offset(text, 64) != std::string::npos)
    throw UserError(
        fmt::format("{} {}: the value nests more than 64 levels deep", origin, assignment.substr(0, equals)));
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    // Configs are JSON, and so are the results that repeat them: a string must be UTF-8 (JSON text always is).
    if (!is_valid_utf8(text))
      throw UserError(fmt::format("{} {}: the value is not valid UTF-8 text", origin, assignment));
    value = text;
  }
  set_value(document, assignment.substr(0, equals), std::move(value), origin);
}

json read_config_document(const std::string& path) {
  return parse_json_text(read_file(path), path);
}

Config resolve_config(json document, const std::string& path, const std::vector<Override>& overrides) {
  for (const auto& override_ : overrides) {
    apply_override(document, override_.assignment, override_.origin);
    if (override_.from_command_line()) make_data_paths_absolute(document, override_.assignment);
  }
  const std::filesystem::path file(path);
  try {
    return parse_config(document, file.parent_path().string(), file.stem().string());
  } catch (const ConfigError& error) {
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
