#include "core/json_reader.h"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <cmath>

namespace bnrun {

namespace {

// The recording in scope on this thread (ScopedSchemaRecording), if any.
thread_local SchemaRecorder* current_recording = nullptr;

nlohmann::json integer_schema(std::int64_t minimum, std::int64_t maximum) {
  nlohmann::json schema = {{"type", "integer"}, {"minimum", minimum}};
  if (maximum != std::numeric_limits<std::int64_t>::max()) schema["maximum"] = maximum;
  return schema;
}

nlohmann::json number_schema(const ObjectReader::Range& range) {
  nlohmann::json schema = {{"type", "number"}};
  if (std::isfinite(range.minimum)) schema[range.include_minimum ? "minimum" : "exclusiveMinimum"] = range.minimum;
  if (std::isfinite(range.maximum)) schema[range.include_maximum ? "maximum" : "exclusiveMaximum"] = range.maximum;
  return schema;
}

bool in_range(double number, const ObjectReader::Range& range) {
  return (range.include_minimum ? number >= range.minimum : number > range.minimum) &&
         (range.include_maximum ? number <= range.maximum : number < range.maximum);
}

std::string type_name(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer() || value.is_number_unsigned()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string join_quoted(const std::vector<std::string_view>& items) {
  std::string result;
  for (std::size_t i = 0; i < items.size(); ++i) result += fmt::format("{}\"{}\"", i == 0 ? "" : ", ", items[i]);
  return result;
}

}  // namespace

std::string describe_value(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string SchemaRecorder::general_path(std::string_view path) {
  std::string result;
  for (std::size_t i = 0; i < path.size(); ++i) {
    result += path[i];
    if (path[i] != '[') continue;
    std::size_t end = i + 1;
    while (end < path.size() && std::isdigit(static_cast<unsigned char>(path[end]))) ++end;
    if (end > i + 1 && end < path.size() && path[end] == ']') i = end - 1;
  }
  return result;
}

ScopedSchemaRecording::ScopedSchemaRecording(SchemaRecorder& recorder) {
  current_recording = &recorder;
}

ScopedSchemaRecording::~ScopedSchemaRecording() {
  current_recording = nullptr;
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path)
    : object_(object), path_(std::move(path)), recorder_(current_recording) {
  if (!object_.is_object())
    throw KeyPathError(path_.empty() ? "(top level)" : path_,
                      fmt::format("expected an object, got {}", type_name(object_)));
  if (recorder_) shape_.path = SchemaRecorder::general_path(path_);
}

// Called only while recording (recorder_ set), so that reading without a recording builds no schema. A getter's
// record replaces an earlier one for the key (string_or's string by choice_or's list), except that the
// placeholder for "whatever object is read there" never replaces a schema, and a key once required stays so. A key
// read after has() asked for it is read because it is given: neither required nor defaulted.
void ObjectReader::record(std::string_view key, nlohmann::json schema, bool required,
                          std::optional<std::string> chosen) {
  if (asked_.count(key)) {
    required = false;
    if (schema.is_object()) schema.erase("default");
  }
  auto [entry, added] = shape_.keys.try_emplace(std::string(key));
  SchemaRecorder::Key& recorded = entry->second;
  const bool placeholder = schema.contains("$object");
  if (added || !placeholder) recorded.schema = std::move(schema);
  recorded.required = recorded.required || required;
  if (chosen) recorded.chosen = std::move(chosen);
}

void ObjectReader::describe(std::string_view key, nlohmann::json schema) {
  if (!recorder_) return;
  shape_.keys.try_emplace(std::string(key));
  shape_.keys[std::string(key)].schema = std::move(schema);
}

void ObjectReader::constrain(nlohmann::json keywords) {
  if (!recorder_) return;
  shape_.constraints.update(keywords);
}

void ObjectReader::also_accept(std::string_view key, nlohmann::json alternative) {
  if (!recorder_) return;
  shape_.keys.try_emplace(std::string(key));
  auto& schema = shape_.keys[std::string(key)].schema;
  schema = {{"anyOf", {schema, std::move(alternative)}}};
}

bool ObjectReader::has(std::string_view key) const {
  if (recorder_) asked_.emplace(key);
  return object_.contains(key);
}

std::string ObjectReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

const nlohmann::json& ObjectReader::required(std::string_view key) {
  if (recorder_) record(key, {{"$object", SchemaRecorder::general_path(path_of(key))}}, true);
  known_.emplace(key);
  const auto found = object_.find(key);
  if (found == object_.end()) throw KeyPathError(path_of(key), "is required but missing");
  return *found;
}

const nlohmann::json* ObjectReader::optional(std::string_view key) {
  if (recorder_) record(key, {{"$object", SchemaRecorder::general_path(path_of(key))}}, false);
  known_.emplace(key);
  const auto found = object_.find(key);
  return found == object_.end() ? nullptr : &*found;
}

std::string ObjectReader::required_string(std::string_view key) {
  const auto& value = required(key);
  if (!value.is_string()) throw KeyPathError(path_of(key), fmt::format("expected a string, got {}", type_name(value)));
  if (recorder_) record(key, {{"type", "string"}}, true, value.get<std::string>());
  return value.get<std::string>();
}

std::string ObjectReader::string_or(std::string_view key, const std::string& fallback) {
  std::string value = fallback;
  if (const auto* given = optional(key)) {
    if (!given->is_string())
      throw KeyPathError(path_of(key), fmt::format("expected a string, got {}", type_name(*given)));
    value = given->get<std::string>();
  }
  if (recorder_) record(key, {{"type", "string"}, {"default", fallback}}, false, value);
  return value;
}

std::string ObjectReader::choice_or(std::string_view key, std::string_view fallback,
                                    const std::vector<std::string_view>& choices) {
  const std::string value = string_or(key, std::string(fallback));
  if (std::find(choices.begin(), choices.end(), value) == choices.end())
    throw KeyPathError(path_of(key), fmt::format("expected one of {}, got \"{}\"", join_quoted(choices), value));
  if (recorder_) {
    nlohmann::json schema = {{"type", "string"}, {"enum", choices}};
    if (std::find(choices.begin(), choices.end(), fallback) != choices.end()) schema["default"] = fallback;
    record(key, std::move(schema), false, value);
  }
  return value;
}

bool ObjectReader::boolean_or(std::string_view key, bool fallback) {
  const auto* value = optional(key);
  if (recorder_) record(key, {{"type", "boolean"}, {"default", fallback}}, false);
  if (!value) return fallback;
  if (!value->is_boolean())
    throw KeyPathError(path_of(key), fmt::format("expected true or false, got {}", describe_value(*value)));
  return value->get<bool>();
}

std::int64_t read_integer(const nlohmann::json& value, const std::string& path, std::int64_t minimum,
                          std::int64_t maximum) {
  const std::string bounds = maximum == std::numeric_limits<std::int64_t>::max()
                                 ? fmt::format("an integer >= {}", minimum)
                                 : fmt::format("an integer in [{}, {}]", minimum, maximum);
  auto fail = [&] { return KeyPathError(path, fmt::format("expected {}, got {}", bounds, describe_value(value))); };
  std::int64_t result = 0;
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(maximum)) throw fail();
    result = static_cast<std::int64_t>(unsigned_value);
  } else if (value.is_number_integer()) {
    result = value.get<std::int64_t>();
  } else if (value.is_number_float()) {
    const double number = value.get<double>();
    // 10.0 is accepted as 10; 2.5 is not an integer.
    if (!std::isfinite(number) || number != std::floor(number) || std::abs(number) > 9.0e15) throw fail();
    result = static_cast<std::int64_t>(number);
  } else {
    throw fail();
  }
  if (result < minimum || result > maximum) throw fail();
  return result;
}

std::int64_t ObjectReader::integer_or(std::string_view key, std::int64_t fallback, std::int64_t minimum,
                                      std::int64_t maximum) {
  const auto* value = optional(key);
  if (recorder_) {
    nlohmann::json schema = integer_schema(minimum, maximum);
    if (fallback >= minimum && fallback <= maximum) schema["default"] = fallback;
    record(key, std::move(schema), false);
  }
  return value ? read_integer(*value, path_of(key), minimum, maximum) : fallback;
}

std::int64_t ObjectReader::required_integer(std::string_view key, std::int64_t minimum, std::int64_t maximum) {
  const auto& value = required(key);
  if (recorder_) record(key, integer_schema(minimum, maximum), true);
  return read_integer(value, path_of(key), minimum, maximum);
}

double ObjectReader::number_or(std::string_view key, double fallback, const Range& range) {
  const auto* value = optional(key);
  if (recorder_) {
    nlohmann::json schema = number_schema(range);
    if (in_range(fallback, range)) schema["default"] = fallback;
    record(key, std::move(schema), false);
  }
  if (!value) return fallback;
  auto fail = [&] {
    return KeyPathError(path_of(key), fmt::format("expected a number {}, got {}", range.text, describe_value(*value)));
  };
  if (!value->is_number()) throw fail();
  const double number = value->get<double>();
  if (!std::isfinite(number) || !in_range(number, range)) throw fail();
  return number;
}

std::vector<std::string> ObjectReader::string_list_or(std::string_view key, const std::vector<std::string>& fallback) {
  const auto* value = optional(key);
  if (recorder_) record(key, {{"type", "array"}, {"items", {{"type", "string"}}}, {"default", fallback}}, false);
  if (!value) return fallback;
  if (!value->is_array())
    throw KeyPathError(path_of(key), fmt::format("expected an array of strings, got {}", type_name(*value)));
  std::vector<std::string> result;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    if (!item.is_string())
      throw KeyPathError(fmt::format("{}[{}]", path_of(key), i),
                        fmt::format("expected a string, got {}", type_name(item)));
    result.push_back(item.get<std::string>());
  }
  return result;
}

void ObjectReader::finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (known_.count(key)) continue;
    std::string_view closest;
    std::size_t best = 3;  // suggest only near misses
    for (const auto& candidate : known_) {
      const std::size_t distance = edit_distance(key, candidate);
      if (distance < best) {
        best = distance;
        closest = candidate;
      }
    }
    std::vector<std::string_view> known_list(known_.begin(), known_.end());
    throw KeyPathError(path_of(key), closest.empty()
                                        ? fmt::format("unknown key (known keys here: {})", join_quoted(known_list))
                                        : fmt::format("unknown key (did you mean \"{}\"?)", closest));
  }
  if (recorder_) recorder_->add(shape_);
}

ObjectReader::Range positive() {
  return {0.0, INFINITY, false, true, "> 0"};
}
ObjectReader::Range fraction_below_one() {
  return {0.0, 1.0, true, false, "in [0, 1)"};
}
ObjectReader::Range non_negative() {
  return {0.0, INFINITY, true, true, ">= 0"};
}

}  // namespace bnrun
