// The config's JSON Schema (config/schema.h) agrees with the reader it is recorded from: what it offers, the reader
// takes; what it closes, the reader refuses; and every shipped config is one it describes. (A full validation of
// the shipped configs and of the hostile catalogue's bad ones, by an independent validator, is
// tests/config/schema_agreement.py.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "config/schema.h"
#include "core/json_reader.h"

using bnrun::config::config_schema;
using bnrun::config::parse_config;
using bnrun::config::schema_exemplars;
using bnrun::config::schema_key_paths;
using nlohmann::json;

namespace {

json schema() {
  static const json value = json(config_schema());
  return value;
}

// Whether the closed object schema `branch` is the one `value` takes: its required keys given, its constants met.
bool branch_fits(const json& branch, const json& value) {
  if (!branch.contains("properties")) return false;
  for (const auto& key : branch.value("required", json::array()))
    if (!value.contains(key.get<std::string>())) return false;
  for (const auto& [key, property] : branch["properties"].items())
    if (property.contains("const") && value.contains(key) && value[key] != property["const"]) return false;
  for (const auto& [key, member] : value.items())
    if (!branch["properties"].contains(key)) return false;
  return true;
}

// The object schema (one with "properties") that describes the object `value`, looking through oneOf and anyOf;
// null when none does.
json object_schema_for(const json& schema_part, const json& value) {
  if (!value.is_object() || !schema_part.is_object()) return nullptr;
  if (schema_part.contains("properties")) return branch_fits(schema_part, value) ? schema_part : json(nullptr);
  for (const char* keyword : {"oneOf", "anyOf"})
    if (schema_part.contains(keyword))
      for (const auto& alternative : schema_part[keyword])
        if (auto found = object_schema_for(alternative, value); !found.is_null()) return found;
  return nullptr;
}

// Whether `schema_part` takes `value` as an object of any keys (class weights by label, a claim, a sweep): one
// whose keys the schema leaves open.
bool open_object(const json& schema_part) {
  if (!schema_part.is_object()) return false;
  if (schema_part.value("type", "") == "object" && !schema_part.contains("properties") && !schema_part.contains("oneOf"))
    return true;
  return schema_part.contains("anyOf") &&
         std::any_of(schema_part["anyOf"].begin(), schema_part["anyOf"].end(), open_object);
}

// The schema an array's elements take, looking through anyOf ("variants": a list of arms, or of names).
std::vector<json> item_schemas(const json& schema_part) {
  std::vector<json> result;
  if (schema_part.contains("items")) result.push_back(schema_part["items"]);
  if (schema_part.contains("anyOf"))
    for (const auto& alternative : schema_part["anyOf"])
      for (auto& items : item_schemas(alternative)) result.push_back(items);
  return result;
}

// Calls visit(pointer, object schema) for every object of `document` the schema describes, and fails the test for
// an object it does not.
void for_each_object(const json& document, const json& schema_part, const json::json_pointer& pointer,
                     const std::function<void(const json::json_pointer&, const json&)>& visit) {
  const json& value = document[pointer];
  if (value.is_object()) {
    const json object = object_schema_for(schema_part, value);
    if (object.is_null() && open_object(schema_part)) return;
    INFO("at " << pointer.to_string() << ": " << value.dump());
    REQUIRE_FALSE(object.is_null());
    visit(pointer, object);
    for (const auto& [key, member] : value.items())
      if (member.is_object() || member.is_array()) for_each_object(document, object["properties"][key], pointer / key, visit);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_object()) continue;
      const auto items = item_schemas(schema_part);
      const auto fitting = std::find_if(items.begin(), items.end(),
                                        [&](const json& item) { return !object_schema_for(item, value[i]).is_null(); });
      INFO("at " << (pointer / i).to_string() << ": " << value[i].dump());
      REQUIRE(fitting != items.end());
      for_each_object(document, *fitting, pointer / i, visit);
    }
  }
}

void parse(const json& document) {
  parse_config(document, "", "example");
}

// Defaults the reader refuses in an exemplar for a rule across keys, which the schema says as well or cannot say.
bool refused_across_keys(const json& exemplar, const json::json_pointer& pointer, const std::string& key) {
  const std::string path = pointer.to_string() + "/" + key;
  // With "train" and "test" (the schema's dependentSchemas refuse these too).
  if (path == "/dataset/test_fraction" || path == "/dataset/stratify") return exemplar["dataset"].contains("train");
  // Early stopping on a validation metric needs validation rows.
  if (path == "/dataset/validation_fraction") return exemplar["training"].contains("early_stopping");
  // The model must end in a softmax or a sigmoid: the output layer's activation has no default to fall back on.
  return key == "activation" && pointer.parent_pointer().to_string() == "/model/layers" &&
         pointer.back() == std::to_string(exemplar["model"]["layers"].size() - 1);
}

// The keys the config reader reads itself (a study's sections, read before it: study/plan.h) are left out.
bool read_by_the_study(const json::json_pointer& pointer, const std::string& key) {
  return (pointer.empty() && (key == "sweep" || key == "claim" || key == "launcher")) ||
         (pointer.to_string() == "/experiment" && (key == "seeds" || key == "vary"));
}

}  // namespace

TEST_CASE("the config schema is a draft 2020-12 schema whose top level is the config's sections, closed",
          "[config][schema]") {
  const json& root = schema();
  CHECK(root["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(root.contains("$id"));
  CHECK(root["additionalProperties"] == false);
  for (const char* key : {"$schema", "name", "description", "dataset", "model", "training", "experiment", "report"})
    CHECK(root["properties"].contains(key));
  CHECK(root["required"] == json({"dataset", "model"}));
}

TEST_CASE("every key of every exemplar object, set to the schema's default, is accepted by the reader",
          "[config][schema]") {
  std::size_t checked = 0;
  for (const json& exemplar : schema_exemplars()) {
    REQUIRE_NOTHROW(parse(exemplar));
    for_each_object(exemplar, schema(), json::json_pointer(), [&](const json::json_pointer& pointer, const json& object) {
      for (const auto& [key, property] : object["properties"].items()) {
        if (!property.contains("default") || read_by_the_study(pointer, key) ||
            refused_across_keys(exemplar, pointer, key))
          continue;
        json changed = exemplar;
        changed[pointer][key] = property["default"];
        INFO(pointer.to_string() << "/" << key << " = " << property["default"].dump());
        CHECK_NOTHROW(parse(changed));
        ++checked;
      }
    });
  }
  CHECK(checked > 50);
}

TEST_CASE("every object the schema closes refuses an unknown key, as the reader does", "[config][schema]") {
  std::size_t checked = 0;
  for (const json& exemplar : schema_exemplars())
    for_each_object(exemplar, schema(), json::json_pointer(), [&](const json::json_pointer& pointer, const json& object) {
      CHECK(object["additionalProperties"] == false);
      // The class weights' keys are the data's labels: any key is one.
      if (pointer.to_string() == "/training/class_weight") return;
      json changed = exemplar;
      changed[pointer]["not_a_key"] = 1;
      INFO("at " << pointer.to_string());
      CHECK_THROWS_WITH(parse(changed), Catch::Matchers::Contains("not_a_key: unknown key"));
      ++checked;
    });
  CHECK(checked > 20);
}

TEST_CASE("every key of every shipped config is one the schema lists", "[config][schema]") {
  std::size_t configs = 0;
  for (const auto& folder : {"configs", "configs/claims"})
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(BNRUN_SOURCE_DIR) / folder)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream file(entry.path());
      const json config = json::parse(file);
      INFO(entry.path().string());
      for_each_object(config, schema(), json::json_pointer(), [](const json::json_pointer&, const json&) {});
      ++configs;
    }
  CHECK(configs >= 6);
}

TEST_CASE("a config may name its schema in \"$schema\": the reader accepts a string and nothing else",
          "[config][schema]") {
  json document = schema_exemplars().at(2);
  document["$schema"] = "./bnrun-config.schema.json";
  CHECK_NOTHROW(parse(document));
  CHECK_FALSE(bnrun::config::to_json(parse_config(document, "", "example")).contains("$schema"));
  document["$schema"] = 7;
  CHECK_THROWS_WITH(parse(document), Catch::Matchers::StartsWith("$schema: expected a string"));
}

TEST_CASE("the schema's key paths include keys a config has only once set, name arrays once and no section",
          "[config][schema]") {
  const auto paths = schema_key_paths(config_schema());
  const auto has = [&](const std::string& path) { return std::find(paths.begin(), paths.end(), path) != paths.end(); };
  CHECK(has("dataset.cross_validation.folds"));
  CHECK(has("dataset.split.random_state"));
  CHECK(has("training.optimizer.nesterov"));
  CHECK(has("training.schedule.every_epochs"));
  CHECK(has("model.layers"));
  CHECK_FALSE(has("$schema"));
  CHECK(has("dataset.split"));
  CHECK_FALSE(has("dataset"));
  CHECK(std::none_of(paths.begin(), paths.end(), [](const std::string& path) { return path.find('[') != std::string::npos; }));
}

TEST_CASE("a reader records nothing unless a schema recording is in scope", "[config][schema]") {
  bnrun::SchemaRecorder recorder;
  parse(schema_exemplars().at(2));
  CHECK(recorder.shapes().empty());
  {
    bnrun::ScopedSchemaRecording recording(recorder);
    parse(schema_exemplars().at(2));
  }
  CHECK_FALSE(recorder.shapes().empty());
  const auto recorded = recorder.shapes().size();
  parse(schema_exemplars().at(2));
  CHECK(recorder.shapes().size() == recorded);
  CHECK(bnrun::SchemaRecorder::general_path("experiment.arms[12].r_max") == "experiment.arms[].r_max");
}
