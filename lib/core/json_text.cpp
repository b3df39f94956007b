#include "core/json_text.h"

#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/text.h"

namespace bnrun {

namespace {

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
std::string number_overflow_message(std::string_view text, const std::string& source, const std::string& what) {
  const std::size_t prefix_end = what.find("] ");
  const std::string problem = prefix_end == std::string::npos ? what : what.substr(prefix_end + 2);
  const std::size_t open = problem.find('\'');
  const std::size_t close = problem.rfind('\'');
  const std::size_t byte = open < close ? text.find(problem.substr(open + 1, close - open - 1)) : std::string::npos;
  const std::string position = byte == std::string::npos ? "" : ":" + line_column_of(text, byte);
  return fmt::format("{}{}: invalid JSON: {} (beyond the range of a double)", source, position, problem);
}

// Thrown from inside the parser's callback, caught below to become a UserError naming the source.
struct RepeatedKey {
  std::string key;
};

// Keeps the keys seen in each open object; the parser calls it for every event, in document order.
template <class Json>
class RepeatedKeyGuard {
 public:
  bool operator()(int /*depth*/, nlohmann::detail::parse_event_t event, Json& parsed) {
    using Event = nlohmann::detail::parse_event_t;
    if (event == Event::object_start) open_objects_.emplace_back();
    if (event == Event::object_end) open_objects_.pop_back();
    if (event == Event::key && !open_objects_.back().insert(parsed.template get<std::string>()).second)
      throw RepeatedKey{parsed.template get<std::string>()};
    return true;
  }

 private:
  std::vector<std::set<std::string>> open_objects_;
};

// Where a repeated key stands: the offsets of its first and second appearance in the object the parser refused
// it in. The parser's callback has no positions, so the text (valid JSON up to that point) is walked again,
// keeping each open object's keys, unescaped as the parser saw them.
struct KeyPlaces {
  std::size_t first = 0;
  std::size_t second = 0;
};

std::optional<KeyPlaces> repeated_key_places(std::string_view text) {
  std::vector<std::map<std::string, std::size_t>> open_objects;
  std::vector<bool> is_object;  // per open bracket: object or array
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      is_object.push_back(c == '{');
      if (c == '{') open_objects.emplace_back();
    } else if (c == '}' || c == ']') {
      if (!is_object.empty() && is_object.back()) open_objects.pop_back();
      if (!is_object.empty()) is_object.pop_back();
    } else if (c == '"') {
      const std::size_t start = i;
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      std::size_t after = i + 1;
      while (after < text.size() && (text[after] == ' ' || text[after] == '\t' || text[after] == '\n' ||
                                     text[after] == '\r'))
        ++after;
      const bool is_key = after < text.size() && text[after] == ':' && !is_object.empty() && is_object.back();
      if (!is_key) continue;
      std::string key;
      try {
        key = nlohmann::json::parse(text.substr(start, i + 1 - start)).get<std::string>();
      } catch (const nlohmann::json::exception&) {
        return std::nullopt;
      }
      const auto [place, inserted] = open_objects.back().emplace(std::move(key), start);
      if (!inserted) return KeyPlaces{place->second, start};
    }
  }
  return std::nullopt;
}

template <class Json>
Json parse_strictly(std::string_view text, const std::string& source) {
  const std::size_t too_deep = excessive_json_nesting_offset(text, max_json_nesting);
  if (too_deep != std::string::npos)
    throw UserError(fmt::format("{}:{}: arrays and objects nest more than {} levels deep", source,
                                line_column_of(text, too_deep), max_json_nesting));
  try {
    return Json::parse(text, RepeatedKeyGuard<Json>{});
  } catch (const RepeatedKey& repeated) {
    if (const auto places = repeated_key_places(text))
      throw UserError(fmt::format("{}:{}: the key \"{}\" appears twice in one object, first at line {} (the second "
                                  "would silently replace the first)",
                                  source, line_column_of(text, places->second), repeated.key,
                                  line_column_of(text, places->first)));
    throw UserError(fmt::format("{}: the key \"{}\" appears twice in one object (the second would silently "
                                "replace the first)",
                                source, repeated.key));
  } catch (const nlohmann::json::parse_error& error) {
    const std::size_t byte = error.byte > 0 ? error.byte - 1 : 0;
    throw UserError(
        fmt::format("{}:{}: invalid JSON: {}", source, line_column_of(text, byte), parse_problem(error.what())));
  } catch (const nlohmann::json::out_of_range& error) {
    throw UserError(number_overflow_message(text, source, error.what()));
  }
}

}  // namespace

std::string line_column_of(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

nlohmann::json parse_json_text(std::string_view text, const std::string& source) {
  return parse_strictly<nlohmann::json>(text, source);
}

nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& source) {
  return parse_strictly<nlohmann::ordered_json>(text, source);
}

std::optional<nlohmann::json> json_value_of(std::string_view text) {
  try {
    return parse_json_text(text, "");
  } catch (const UserError&) {
    return std::nullopt;
  }
}

}  // namespace bnrun
