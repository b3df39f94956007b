// Strict, typed reading of one JSON object, with the key path in every message.
//
// A reader is made for each object of the config ("training.optimizer", "model.layers[2]"). Each getter
// consumes one key; finish() then rejects any key nobody asked for, suggesting the closest known one, so a
// typo like "test_fration" is an error rather than a silently ignored setting.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace bnrun {

// A config problem at a key path. `what()` is "<key path>: <problem>"; the loader adds the file name.
class KeyPathError : public UserError {
 public:
  KeyPathError(std::string key_path, const std::string& problem)
      : UserError(key_path + ": " + problem), key_path_(std::move(key_path)) {}
  const std::string& key_path() const { return key_path_; }

 private:
  std::string key_path_;
};

// A short, single-line rendering of a JSON value for messages.
std::string describe_value(const nlohmann::json& value);

// What the readers accept, recorded as they read, so that the config's JSON Schema (config/schema.h) comes from
// the reader itself and cannot drift from it. While a recording is in scope on this thread, every ObjectReader that
// finishes reports one shape: its object's key path with array indices written "[]" ("model.layers[]"), and for
// each key it asked for, the JSON Schema of the values its getter accepts. Without a recording, readers record
// nothing.
class SchemaRecorder {
 public:
  struct Key {
    nlohmann::json schema;              // {"$object": path} stands for the object read at that path, if any
    bool required = false;
    std::optional<std::string> chosen;  // the string this object gave (a choice, or a "type"): what tells shapes apart
  };
  struct Shape {
    std::string path;
    std::map<std::string, Key, std::less<>> keys;
    nlohmann::json constraints = nlohmann::json::object();  // keywords on the object itself (ObjectReader::constrain)
  };

  void add(Shape shape) { shapes_.push_back(std::move(shape)); }
  const std::vector<Shape>& shapes() const { return shapes_; }

  // "model.layers[2].renorm" → "model.layers[].renorm": one schema for every element of an array.
  static std::string general_path(std::string_view path);

 private:
  std::vector<Shape> shapes_;
};

// Records into `recorder` for as long as it lives (one thread; not nested).
class ScopedSchemaRecording {
 public:
  explicit ScopedSchemaRecording(SchemaRecorder& recorder);
  ~ScopedSchemaRecording();
  ScopedSchemaRecording(const ScopedSchemaRecording&) = delete;
  ScopedSchemaRecording& operator=(const ScopedSchemaRecording&) = delete;
};

class ObjectReader {
 public:
  // Throws KeyPathError if `object` is not a JSON object. `path` is its key path ("" for the root).
  ObjectReader(const nlohmann::json& object, std::string path);

  bool has(std::string_view key) const;
  std::string path_of(std::string_view key) const;

  // Each getter marks the key as known. The *_or forms return the default when the key is absent.
  const nlohmann::json& required(std::string_view key);
  const nlohmann::json* optional(std::string_view key);

  std::string string_or(std::string_view key, const std::string& fallback);
  std::string required_string(std::string_view key);
  // One of `choices`; the message lists them.
  std::string choice_or(std::string_view key, std::string_view fallback, const std::vector<std::string_view>& choices);
  bool boolean_or(std::string_view key, bool fallback);
  // A whole number in [minimum, maximum].
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t minimum,
                          std::int64_t maximum = std::numeric_limits<std::int64_t>::max());
  std::int64_t required_integer(std::string_view key, std::int64_t minimum,
                                std::int64_t maximum = std::numeric_limits<std::int64_t>::max());
  // A finite number in the given range; `range_text` says it in words for the message ("in [0, 1)").
  struct Range {
    double minimum;
    double maximum;
    bool include_minimum;
    bool include_maximum;
    std::string text;
  };
  double number_or(std::string_view key, double fallback, const Range& range);
  std::vector<std::string> string_list_or(std::string_view key, const std::vector<std::string>& fallback);

  // For a key whose value the caller reads itself (several forms, null for "off"): the JSON Schema of what it
  // accepts, replacing what the getters recorded. `also_accept` adds one more form to it instead. Both only
  // matter while a schema is being recorded (SchemaRecorder), and cost nothing otherwise.
  void describe(std::string_view key, nlohmann::json schema);
  void also_accept(std::string_view key, nlohmann::json alternative);
  // JSON Schema keywords on the object itself, for a rule across its keys that a schema can say ("path", or
  // "train" and "test"). Recorded like describe.
  void constrain(nlohmann::json keywords);

  // Throws on the first key no getter asked for; then reports this object's shape to the recording, if any.
  void finish() const;

 private:
  void record(std::string_view key, nlohmann::json schema, bool required,
              std::optional<std::string> chosen = std::nullopt);

  const nlohmann::json& object_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
  // Keys asked about with has(): one read after that is read because it is there, so it is not required and its
  // getter's fallback is no default.
  mutable std::set<std::string, std::less<>> asked_;
  SchemaRecorder* recorder_;  // the recording in scope when this reader was made, or null
  SchemaRecorder::Shape shape_;
};

// Reads `value` (at `path`) as a whole number in [minimum, maximum].
std::int64_t read_integer(const nlohmann::json& value, const std::string& path, std::int64_t minimum,
                          std::int64_t maximum);

// Common ranges.
ObjectReader::Range positive();            // (0, ∞)
ObjectReader::Range fraction_below_one();  // [0, 1)
ObjectReader::Range non_negative();        // [0, ∞)

}  // namespace bnrun
