#include "config/schema.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "config/config.h"
#include "core/json_reader.h"

namespace bnrun::config {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using Shape = SchemaRecorder::Shape;

// Between them, every branch of the reader: each layer type, each arm kind with every parameter, both optimizers,
// every schedule, both dataset forms, split, cross-validation, class weights, report. Written with every key a
// getter reads only when present, since a key no exemplar gives is a key the schema would refuse.
constexpr const char* exemplar_texts[] = {
    R"({"$schema": "bnrun-config.schema.json", "name": "every_layer", "description": "exemplar",
        "dataset": {"path": "data.csv", "target": "label", "features": ["a", "b"], "delimiter": ",",
                    "standardize": true, "test_fraction": 0.2, "stratify": true, "validation_fraction": 0.1,
                    "shuffle": true, "split": {"method": "sklearn", "random_state": 1}, "allow_special_file": false},
        "model": {"layers": [
          {"type": "dense", "units": 8, "activation": "relu", "initializer": "glorot_uniform", "kernel_scale": 1.0,
           "use_bias": true},
          {"type": "batchnorm", "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
           "running_variance": "unbiased", "running_stats": true, "virtual_batch_size": null,
           "renorm": {"momentum": 0.99, "r_max": {"start": 1, "end": 3, "warmup_steps": 0, "ramp_steps": 10},
                      "d_max": {"start": 0, "end": 5, "warmup_steps": 0, "ramp_steps": 10}},
           "synchronized": false},
          {"type": "layernorm", "epsilon": 1e-5, "center": true, "scale": true},
          {"type": "groupnorm", "groups": 2, "epsilon": 1e-5, "center": true, "scale": true},
          {"type": "dropout", "rate": 0.1},
          {"type": "activation", "activation": "relu"},
          {"type": "dense", "units": "auto", "activation": "softmax"}]},
        "training": {"epochs": 1, "batch_size": 32, "seed": 0, "loss": "auto", "shuffle": true, "l2": 0,
                     "optimizer": {"name": "adam", "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999,
                                   "epsilon": 1e-7},
                     "schedule": {"type": "step", "every_epochs": 1, "factor": 0.5},
                     "early_stopping": {"monitor": "val_loss", "patience": 2, "min_delta": 0, "restore_best": true},
                     "evaluate_every_steps": 0, "evaluation_batch_size": 32, "distributed": false,
                     "class_weight": "balanced"},
        "experiment": {"arms": [
          {"name": "bn_m09", "kind": "bn", "momentum": 0.9, "epsilon": 0.001, "running_variance": "biased"},
          {"kind": "no_bn"}, {"kind": "ghost_bn", "virtual_batch_size": 16},
          {"kind": "batch_renorm", "momentum": 0.99, "r_max": {"start": 1, "end": 3, "warmup_steps": 5, "ramp_steps": 10},
           "d_max": {"start": 0, "end": 5, "warmup_steps": 5, "ramp_steps": 10}},
          {"kind": "bn_batch_stats"}, {"kind": "bn_cumulative"}, {"kind": "layernorm", "epsilon": 1e-5},
          {"kind": "groupnorm", "groups": 2, "epsilon": 1e-5}, {"kind": "dropout", "rate": 0.5, "keep_batchnorm": true},
          {"kind": "sync_bn"}, {"kind": "local_bn"}], "reference": "no_bn"},
        "report": {"metric": "test_accuracy"}})",
    R"({"dataset": {"train": "train.csv", "test": "test.csv", "target": "label", "standardize": "all_rows"},
        "model": {"layers": [{"type": "dense", "units": 4, "activation": "relu"},
                             {"type": "batchnorm", "virtual_batch_size": 16},
                             {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "training": {"batch_size": 32, "loss": "binary_crossentropy",
                     "optimizer": {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": true},
                     "schedule": {"type": "cosine", "min_learning_rate": 0}, "early_stopping": null,
                     "evaluation_batch_size": null, "class_weight": {"0": 1.0, "1": 2.0}},
        "experiment": {"arms": ["bn", "no_bn"], "variants": ["bn", "no_bn"]}})",
    R"({"dataset": {"path": "data.csv", "target": "label", "standardize": false,
                    "cross_validation": {"folds": 5, "stratify": true, "fold": 2}},
        "model": {"layers": [{"type": "dense", "units": 4, "activation": "relu"}, {"type": "batchnorm"},
                             {"type": "dense", "units": 3, "activation": "softmax"}]},
        "training": {"schedule": {"type": "constant"}},
        "experiment": {"variants": ["bn", "no_bn"]}})",
};

std::set<std::string> key_set(const Shape& shape) {
  std::set<std::string> keys;
  for (const auto& [name, recorded] : shape.keys) keys.insert(name);
  return keys;
}

// The key that tells an object's shapes apart: a choice every shape made whose answers go with different keys (a
// layer's "type", an arm's "kind", an optimizer's "name"; not the training's "loss", whose answers read the same
// keys). Of several, the one with the fewest answers.
std::optional<std::string> discriminator(const std::vector<const Shape*>& shapes) {
  std::optional<std::string> best;
  std::size_t best_count = 0;
  for (const auto& entry : shapes.front()->keys) {
    // A reference, not a structured binding: clang 14 cannot capture a structured binding in a lambda.
    const std::string& key = entry.first;
    if (!entry.second.schema.contains("enum")) continue;
    std::map<std::string, std::set<std::string>> keys_of_answer;
    const bool everywhere = std::all_of(shapes.begin(), shapes.end(), [&](const Shape* shape) {
      const auto found = shape->keys.find(key);
      if (found == shape->keys.end() || !found->second.chosen) return false;
      const auto keys = key_set(*shape);
      keys_of_answer[*found->second.chosen].insert(keys.begin(), keys.end());
      return true;
    });
    if (!everywhere || keys_of_answer.size() < 2) continue;
    const auto& some_keys = keys_of_answer.begin()->second;
    const bool keys_differ = std::any_of(keys_of_answer.begin(), keys_of_answer.end(),
                                         [&](const auto& answer) { return answer.second != some_keys; });
    const std::size_t answers = keys_of_answer.size();
    if (keys_differ && (!best || answers < best_count)) {
      best = key;
      best_count = answers;
    }
  }
  return best;
}

class Builder {
 public:
  explicit Builder(const SchemaRecorder& recorder) {
    for (const Shape& shape : recorder.shapes()) shapes_[shape.path].push_back(&shape);
  }

  // `schema` with each {"$object": path} replaced by the schema of the objects read at that path (any value, when
  // none was: a key the caller reads itself and did not describe).
  json resolve(const json& schema) const {
    if (schema.is_array()) {
      json result = json::array();
      for (const auto& item : schema) result.push_back(resolve(item));
      return result;
    }
    if (!schema.is_object()) return schema;
    json result = json::object();
    if (const auto found = schema.find("$object"); found != schema.end()) {
      // A key read as an object that no exemplar gives as one: the schema would not know its keys.
      if (!shapes_.count(*found))
        throw std::logic_error("config schema: no exemplar config gives an object at " + found->get<std::string>() +
                               " (config/schema.cpp)");
      result = object_schema(*found);
    }
    for (const auto& [key, value] : schema.items())
      if (key != "$object") result[key] = resolve(value);
    return result;
  }

  json object_schema(const std::string& path) const {
    const auto found = shapes_.find(path);
    if (found == shapes_.end()) return json::object();
    const auto& shapes = found->second;
    std::vector<std::vector<const Shape*>> groups;
    const auto key = discriminator(shapes);
    if (key) {
      std::map<std::string, std::size_t> group_of;
      for (const Shape* shape : shapes) {
        const auto [entry, added] = group_of.try_emplace(*shape->keys.at(*key).chosen, groups.size());
        if (added) groups.emplace_back();
        groups[entry->second].push_back(shape);
      }
    } else {
      // One kind of object, whose shapes differ only in the keys given: every key any of them read.
      groups.push_back(shapes);
    }
    if (groups.size() == 1) return closed_object(groups.front(), std::nullopt);
    json branches = json::array();
    for (const auto& group : groups) branches.push_back(closed_object(group, key));
    return {{"type", "object"}, {"oneOf", branches}};
  }

 private:
  // One object schema for shapes of the same kind: every key any of them read; required if all required it; no
  // other key. `key`, when given, is the discriminator: here one constant.
  json closed_object(const std::vector<const Shape*>& group, const std::optional<std::string>& key) const {
    json properties = json::object();
    std::set<std::string> required;
    std::map<std::string, std::vector<json>> forms;
    for (const Shape* shape : group)
      for (const auto& [name, recorded] : shape->keys) {
        auto& seen = forms[name];
        if (std::find(seen.begin(), seen.end(), recorded.schema) == seen.end()) seen.push_back(recorded.schema);
      }
    for (const auto& named_forms : forms) {
      const std::string& name = named_forms.first;
      const auto& seen = named_forms.second;
      const bool everywhere_required = std::all_of(group.begin(), group.end(), [&](const Shape* shape) {
        const auto found = shape->keys.find(name);
        return found != shape->keys.end() && found->second.required;
      });
      if (everywhere_required) required.insert(name);
      if (key && name == *key) {
        const auto& chosen = *group.front()->keys.at(name).chosen;
        properties[name] = {{"const", chosen}};
        // The default kind ("adam") may be left out; any other must be named.
        if (!seen.front().contains("default") || seen.front()["default"] != chosen) required.insert(name);
        continue;
      }
      if (seen.size() == 1) {
        properties[name] = resolve(seen.front());
      } else {
        json alternatives = json::array();
        for (const auto& form : seen) alternatives.push_back(resolve(form));
        properties[name] = {{"anyOf", alternatives}};
      }
    }
    json object = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
    if (!required.empty()) object["required"] = required;
    for (const Shape* shape : group) object.update(shape->constraints);
    return object;
  }

  std::map<std::string, std::vector<const Shape*>> shapes_;
};

void add_key_paths(const ordered_json& schema, const std::string& path, std::set<std::string>& paths) {
  if (!schema.is_object()) return;
  if (schema.contains("properties"))
    for (const auto& [key, member] : schema["properties"].items()) {
      if (key == "$schema") continue;
      const std::string child = path.empty() ? key : path + "." + key;
      // A section ("dataset") is no key one sets whole; an object inside one ("dataset.split") may be.
      const bool section = path.empty() && (member.contains("properties") || member.contains("oneOf"));
      if (!section) paths.insert(child);
      add_key_paths(member, child, paths);
    }
  // Alternatives (oneOf branches, a value or an object) hold keys too; an array's items do not.
  for (const char* keyword : {"oneOf", "anyOf"})
    if (schema.contains(keyword))
      for (const auto& alternative : schema[keyword]) add_key_paths(alternative, path, paths);
}

// Adds `key` to the object schema `object`, to each of its branches when it has some.
void add_property(json& object, const std::string& key, json schema) {
  if (object.contains("oneOf"))
    for (auto& branch : object["oneOf"]) add_property(branch, key, schema);
  else
    object["properties"][key] = std::move(schema);
}

// The sections a study reads from the config file before the config reader sees it (study/plan.h: "sweep",
// "claim", "launcher", experiment.seeds and experiment.vary); their readers live above this module, so they are
// described here, loosely where their own readers check the rest (a claim's keys, the launcher's).
void add_study_sections(json& root) {
  add_property(root, "sweep",
               {{"type", "object"},
                {"description", "a study's grid: key path → the values it takes"},
                {"additionalProperties", {{"type", "array"}, {"minItems", 1}}}});
  add_property(root, "claim", {{"type", "object"}, {"description", "a claim to judge (bnrun claims; docs/CLAIMS.md)"}});
  add_property(root, "launcher",
               {{"type", "object"}, {"description", "how bnrun slurm submits the study (docs/SCALE.md)"}});
  json& experiment = root["properties"]["experiment"];
  add_property(experiment, "seeds",
               {{"description", "a study's seeds: a count, or the seeds themselves"},
                {"anyOf",
                 {{{"type", "integer"}, {"minimum", 1}, {"maximum", 100000}},
                  {{"type", "array"},
                   {"minItems", 1},
                   {"uniqueItems", true},
                   {"items", {{"type", "integer"}, {"minimum", 0}}}}}}});
  add_property(experiment, "vary",
               {{"description", "what a study's seeds vary"},
                {"enum", {"both", "initialization", "split"}},
                {"default", "both"}});
}

}  // namespace

std::vector<json> schema_exemplars() {
  std::vector<json> exemplars;
  for (const char* text : exemplar_texts) exemplars.push_back(json::parse(text));
  return exemplars;
}

ordered_json config_schema() {
  SchemaRecorder recorder;
  {
    ScopedSchemaRecording recording(recorder);
    for (const auto& exemplar : schema_exemplars()) parse_config(exemplar, "", "exemplar");
  }
  json root = Builder(recorder).object_schema("");
  add_study_sections(root);
  ordered_json schema = {
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"$id", "urn:bnrun:config"},
      {"title", "bnrun experiment config"},
      {"description",
       "An experiment config for bnrun (docs/CONFIG.md). Generated by `bnrun schema` from the reader bnrun checks "
       "configs with; checks across keys (a fold above folds, widths the data decides) are bnrun's own."}};
  for (const auto& [key, value] : root.items()) schema[key] = value;
  return schema;
}

std::vector<std::string> schema_key_paths(const ordered_json& schema) {
  std::set<std::string> paths;
  add_key_paths(schema, "", paths);
  return {paths.begin(), paths.end()};
}

}  // namespace bnrun::config
