// Answers for the bash completion script (packaging/bash_completion/bnrun), taken from the program itself so that
// completion never lags behind it: the subcommands, each command's options, the shipped configs and a config's
// key paths. `bnrun __complete WHAT` prints them, one per line.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bnrun::app {

// The subcommands --help shows (not the hidden __complete).
std::string subcommand_names(const CLI::App& app);

// Every name (short and long) of every option `command` takes: a subcommand's name, or empty for the main app
// (training). Throws UserError for a name that is no subcommand.
std::string option_names(const CLI::App& app, const std::string& command);

// The dotted key paths --set and --sweep take for a config, as config::to_json writes it with every default filled
// in: every value that is not an object ("training.batch_size", "model.layers[1].momentum"), each list also as a
// whole ("experiment.arms"), and each empty object ("sweep"); then each of `schema_paths` (config::schema_key_paths)
// not already there, so that a key the config lacks ("dataset.cross_validation.folds") completes too. A null config
// (one that does not read) gives the schema's paths alone.
std::string key_paths(const nlohmann::ordered_json& config, const std::vector<std::string>& schema_paths);

}  // namespace bnrun::app
