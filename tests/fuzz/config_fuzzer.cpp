// libFuzzer target for configs: JSON syntax, --set overrides and validation, as `bnrun --config` reads them.
//
// Input: the config's JSON text, then optionally a line "--set" followed by overrides, one "key.path=value" per
// line (config::resolve_config applies them as the command line's --set does, then validates with
// config::parse_config). The config claims to live in /nonexistent, so no data path resolves to a real file;
// nothing here reads a file anyway.
//
// Besides crashes and sanitizer reports, these abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a message that is not one line (the command line prints it as "error: <message>");
//   - a resolved config that does not round-trip: parse_config(to_json(c)) must give to_json(c) again, which is
//     what the config.json saved with a run relies on;
//   - a resolved config whose JSON cannot be written out (results.json holds it).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/load.h"
#include "core/error.h"
#include "core/json_text.h"
#include "fuzz_support.h"
#include "nn/spec.h"

namespace {

using bnrun::fuzz::check_message;
using bnrun::fuzz::finding;

using bnrun::config::Config;

constexpr std::string_view kConfigPath = "/nonexistent/fuzz.json";
constexpr std::string_view kSeparator = "\n--set\n";

std::vector<bnrun::config::Override> overrides_from(std::string_view text) {
  std::vector<bnrun::config::Override> overrides;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    overrides.push_back({std::string(text.substr(0, end))});
    text = end == std::string_view::npos ? "" : text.substr(end + 1);
  }
  return overrides;
}

// What a run does with a resolved config before it reads any data: writes it out, reads that back, and builds
// every arm's model spec.
void use(const Config& config) {
  std::string written;
  try {
    written = bnrun::config::to_json(config).dump(2);
  } catch (const nlohmann::json::exception& error) {
    finding("the resolved config cannot be written as JSON", error.what());
  }
  Config again;
  try {
    again = bnrun::config::parse_config(nlohmann::json::parse(written), "/nonexistent", "fuzz");
  } catch (const bnrun::UserError& error) {
    finding("the resolved config is rejected when read back", written + "\n---\n" + error.what());
  }
  const std::string rewritten = bnrun::config::to_json(again).dump(2);
  if (rewritten != written) finding("the resolved config does not round-trip", written + "\n---\n" + rewritten);

  for (const auto& arm : config.experiment.arms) {
    const bnrun::nn::ModelSpec spec = bnrun::config::model_spec(config, 4, 3, arm);
    if (spec.layers.empty()) finding("a model spec without layers", written);
  }
  for (const std::size_t classes : {std::size_t{2}, std::size_t{3}}) {
    try {
      bnrun::config::check_against_data(config, classes, 4);
    } catch (const bnrun::UserError& error) {
      check_message(error);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t separator = input.find(kSeparator);
  const std::string json_text(input.substr(0, separator));
  const std::string_view override_text =
      separator == std::string_view::npos ? "" : input.substr(separator + kSeparator.size());
  try {
    nlohmann::json document = bnrun::parse_json_text(json_text, std::string(kConfigPath));
    const Config config =
        bnrun::config::resolve_config(std::move(document), std::string(kConfigPath), overrides_from(override_text));
    use(config);
  } catch (const bnrun::UserError& error) {
    check_message(error);
  }
  return 0;
}
