// Reading a config file: JSON syntax (with line and column), command-line overrides, then validation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace bnrun::config {

// Parses JSON text; a syntax error becomes a UserError "<source>:<line>:<column>: <problem>".
nlohmann::json parse_json_text(const std::string& text, const std::string& source);

// Applies one "key.path=value" override (as `--set`): `value` is read as JSON when it parses as JSON, otherwise
// as a string, so `training.optimizer.name=sgd` and `training.batch_size=64` both work. Path segments are keys
// separated by dots, with [index] for array elements (`model.layers[1].momentum=0.9`). Missing object keys are
// created (validation then rejects unknown ones); array indices must exist.
void apply_override(nlohmann::json& document, const std::string& assignment);

// Reads, overrides and validates. Every error names the file (and the override, when one set the bad key).
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace bnrun::config
