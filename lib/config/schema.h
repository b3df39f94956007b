// The config's JSON Schema (draft 2020-12), for editors to complete and check configs (`bnrun schema`).
//
// It is not written by hand: the config reader itself (parse_config) reads a few exemplar configs that between
// them take every branch (each layer type, arm kind, optimizer, schedule, both dataset forms, ...) while a
// SchemaRecorder (core/json_reader.h) notes what each getter accepts. Objects read in several shapes become a
// oneOf, told apart by the key whose choice differs ("type", "kind", "name") or by their required keys
// (dataset "path" or "train" + "test"). What a JSON Schema cannot say is left to the reader: checks across keys
// (a fold above "folds", a width the data decides, an arm listed twice).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bnrun::config {

// The schema, as `bnrun schema` prints it.
nlohmann::ordered_json config_schema();

// Every key path the schema allows outside arrays ("dataset.cross_validation.folds", "dataset.split"), for --set
// completion; not the sections themselves ("dataset"); an array is named once ("model.layers"), its elements' keys
// being the config's own.
std::vector<std::string> schema_key_paths(const nlohmann::ordered_json& schema);

// The exemplar configs the schema is recorded from (each one valid), for tests.
std::vector<nlohmann::json> schema_exemplars();

}  // namespace bnrun::config
