// Reading a config file: JSON syntax (with line and column), command-line overrides, then validation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace bnrun::config {

// An override and where it came from, for messages: "--set" (the default), "--sweep", "--seeds", or "sweep" (the
// config's own sweep section). Data paths set from the command line are relative to the working folder; those
// from the config's sweep section, to the config file.
struct Override {
  std::string assignment;  // key.path=value
  std::string origin = "--set";
  bool from_command_line() const { return origin.rfind("--", 0) == 0; }
};

// Applies one "key.path=value" override (as `--set`): `value` is read as JSON when it parses as JSON, otherwise
// as a string, so `training.optimizer.name=sgd` and `training.batch_size=64` both work. Path segments are keys
// separated by dots, with [index] for array elements (`model.layers[1].momentum=0.9`). Missing object keys are
// created (validation then rejects unknown ones); array indices must exist.
void apply_override(nlohmann::json& document, const std::string& assignment, std::string_view origin = "--set");

// Sets the value at a key path (same syntax as apply_override) to an already parsed value.
void set_value(nlohmann::json& document, const std::string& key_path, nlohmann::json value,
               std::string_view origin = "--set");

// Reads a config file as JSON (syntax errors with line and column), without validating it.
nlohmann::json read_config_document(const std::string& path);

// Keeps only the named arms of the document's experiment, in the order given (--arms): a name is one of the arms
// the config defines or an arm kind. The reference stays if kept, else becomes no_bn if kept, else none. Throws
// UserError naming an unknown arm.
void select_arms(nlohmann::json& document, const std::vector<std::string>& names);

// Applies the overrides in order to a document read from `path`, selects `arms` (when not empty), then validates
// it. Every error names the file, and the override (with its origin) when one set the bad key.
Config resolve_config(nlohmann::json document, const std::string& path, const std::vector<Override>& overrides,
                      const std::vector<std::string>& arms = {});

// Reads, overrides and validates. Every error names the file (and the override, when one set the bad key).
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace bnrun::config
