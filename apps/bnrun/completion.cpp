#include "completion.h"

#include <fmt/format.h>

#include "core/error.h"

namespace bnrun::app {

namespace {

bool shown(const CLI::App* subcommand) {
  return !subcommand->get_group().empty();
}

void add_key_paths(const nlohmann::ordered_json& value, const std::string& path, std::string& text) {
  if (value.is_object()) {
    if (value.empty() && !path.empty()) text += path + "\n";
    for (const auto& [key, member] : value.items()) add_key_paths(member, path.empty() ? key : path + "." + key, text);
  } else if (value.is_array()) {
    text += path + "\n";
    for (std::size_t i = 0; i < value.size(); ++i) add_key_paths(value[i], fmt::format("{}[{}]", path, i), text);
  } else {
    text += path + "\n";
  }
}

}  // namespace

std::string subcommand_names(const CLI::App& app) {
  std::string text;
  for (const CLI::App* subcommand : app.get_subcommands([](const CLI::App* candidate) { return shown(candidate); }))
    text += subcommand->get_name() + "\n";
  return text;
}

std::string option_names(const CLI::App& app, const std::string& command) {
  const CLI::App* target = &app;
  if (!command.empty()) {
    const auto found = app.get_subcommands(
        [&](const CLI::App* candidate) { return shown(candidate) && candidate->get_name() == command; });
    if (found.empty()) throw UserError(fmt::format("{}: not a bnrun command", command));
    target = found.front();
  }
  std::string text;
  for (const CLI::Option* option : target->get_options([](const CLI::Option* candidate) {
         return candidate->nonpositional() && !candidate->get_group().empty();
       })) {
    for (const auto& name : option->get_snames()) text += "-" + name + "\n";
    for (const auto& name : option->get_lnames()) text += "--" + name + "\n";
  }
  return text;
}

std::string key_paths(const nlohmann::ordered_json& config, const std::vector<std::string>& schema_paths) {
  std::string text;
  if (!config.is_null()) add_key_paths(config, "", text);
  for (const auto& path : schema_paths)
    if (("\n" + text).find("\n" + path + "\n") == std::string::npos) text += path + "\n";
  return text;
}

}  // namespace bnrun::app
