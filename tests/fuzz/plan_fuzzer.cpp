// libFuzzer target for study plans (study::make_plan): --seeds, --sweep, --arms and --set, as `bnrun` expands a
// config into runs before anything trains (and as --dry-run lists them).
//
// Input: lines, each an option and its value as the command line takes them: "--seeds TEXT" (the plan request's
// seeds text; the last one wins, as on the command line), "--sweep key.path=v1,v2,..." (one axis each), "--set
// key.path=value" (an override; "sweep" and "experiment.seeds" change the study itself), "--arms a,b" (names, split
// at the commas as the command line's --arms is) and "--config plain|swept", which config the plan reads. Other
// lines are ignored. The configs are small valid ones written once to a temporary folder: "plain" has no study
// keys, "swept" a two-key "sweep" section (not in alphabetical order) and experiment.seeds 2. Their dataset path
// does not exist; make_plan reads no data.
//
// The input is kept small (4 KB, 24 lines), and a request the fuzzer counts to more than 64 runs but not more
// than make_plan's limit of 100000 is skipped, so that one input cannot take seconds: resolving and checking
// each run's config is the work (several milliseconds a run under the sanitizers). Requests above the limit are
// still planned: make_plan must refuse them before it resolves any run, without overflow in the count.
//
// Besides crashes and sanitizer reports, these abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a message that is not one line (the command line prints it as "error: <message>");
//   - an accepted plan with no runs or more than 100000, or whose runs are not numbered 1, 2, … in order, are
//     not group_count × seeds in all, have a setting count other than the axis count, or a group beyond
//     group_count;
//   - a run's config that does not round-trip: parse_config(to_json(c)) must give to_json(c) again (config.json
//     of a run folder, and --resume's comparison, rely on it); checked for every grid point with its first and
//     last seed;
//   - two runs with the same folder name (they would write into one folder);
//   - a plan of the "swept" config whose config axes are not first and in the file's order (plan.h's promise),
//     when no --set replaced the config's "sweep" section.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/load.h"
#include "core/error.h"
#include "core/json_text.h"
#include "fuzz_support.h"
#include "study/plan.h"

namespace {

using bnrun::fuzz::check_message;
using bnrun::fuzz::finding;
using bnrun::fuzz::write_file;

using bnrun::study::Plan;
using bnrun::study::PlanRequest;

constexpr std::size_t kMaxInputBytes = 4096;
constexpr std::size_t kMaxLines = 24;
constexpr std::size_t kMaxPlannedRuns = 64;  // above this (and up to make_plan's limit) the input is skipped
constexpr std::size_t kPlanLimit = 100000;    // make_plan's maximum

constexpr std::string_view kPlainConfig = R"({
  "dataset": {"path": "data.csv", "target": "species", "test_fraction": 0.25},
  "model": {"layers": [{"type": "dense", "units": 4, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 2, "activation": "softmax"}]},
  "training": {"epochs": 2, "batch_size": 4}
}
)";

// The sweep keys in the order the file writes them (not alphabetical: nlohmann::json would sort them).
constexpr std::string_view kSweptConfig = R"({
  "name": "swept",
  "dataset": {"path": "data.csv", "target": "species", "test_fraction": 0.2, "validation_fraction": 0.1},
  "model": {"layers": [{"type": "dense", "units": 8}, {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
                       {"type": "dense", "units": 3, "activation": "softmax"}]},
  "training": {"epochs": 3, "batch_size": 16, "seed": 7, "optimizer": {"name": "adam", "learning_rate": 0.01}},
  "experiment": {"seeds": 2},
  "sweep": {"training.batch_size": [8, 16], "model.layers[1].momentum": [0.9, 0.99]}
}
)";
const std::vector<std::string> kSweptKeys = {"training.batch_size", "model.layers[1].momentum"};
constexpr std::size_t kSweptSeeds = 2;

// A folder of this process's own in the temp directory with the two configs, removed at exit.
struct Folder {
  bnrun::fuzz::ScratchFolder scratch{"plan_fuzzer"};
  const std::filesystem::path& path = scratch.path;
  Folder() {
    write_file(path / "plain.json", kPlainConfig);
    write_file(path / "swept.json", kSweptConfig);
  }
};

const Folder& work_folder() {
  static const Folder folder;
  return folder;
}

struct Input {
  PlanRequest request;
  bool swept = false;
};

Input input_from(std::string_view text) {
  Input input;
  input.request.config_path = (work_folder().path / "plain.json").string();
  std::size_t lines = 0;
  while (!text.empty() && lines++ < kMaxLines) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? "" : text.substr(end + 1);
    const std::size_t space = line.find(' ');
    const std::string_view option = line.substr(0, space);
    const std::string value(space == std::string_view::npos ? "" : line.substr(space + 1));
    if (option == "--seeds") {
      input.request.seeds = value;
    } else if (option == "--sweep") {
      input.request.sweeps.push_back(value);
    } else if (option == "--set") {
      input.request.overrides.push_back(value);
    } else if (option == "--arms") {
      std::size_t start = 0;
      for (std::size_t comma; (comma = value.find(',', start)) != std::string::npos; start = comma + 1)
        input.request.arms.push_back(value.substr(start, comma - start));
      input.request.arms.push_back(value.substr(start));
    } else if (option == "--config") {
      input.swept = value == "swept";
      input.request.config_path = (work_folder().path / (input.swept ? "swept.json" : "plain.json")).string();
    }
  }
  return input;
}

std::size_t saturating_product(std::size_t a, std::size_t b) {
  std::size_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::size_t>::max() : product;
}

// The last --set of `key` ("sweep" or "experiment.seeds"), as JSON (a bare string when it is not JSON).
std::optional<nlohmann::json> last_set(const PlanRequest& request, std::string_view key) {
  std::optional<nlohmann::json> value;
  for (const auto& assignment : request.overrides) {
    const std::size_t equals = assignment.find('=');
    if (equals == std::string::npos || assignment.compare(0, equals, key) != 0) continue;
    value = bnrun::json_value_of(std::string_view(assignment).substr(equals + 1));
    if (!value) value = nlohmann::json(assignment.substr(equals + 1));
  }
  return value;
}

// How many runs make_plan would plan (sweep axes × seeds), counted the way it counts them; an error it would
// report before resolving any run counts as none. Used only to skip the inputs that would be slow.
std::size_t expected_runs(const Input& input) {
  const PlanRequest& request = input.request;
  std::size_t seeds = input.swept ? kSweptSeeds : 1;
  if (!request.seeds.empty()) {
    if (request.seeds.find(',') != std::string::npos) {
      seeds = static_cast<std::size_t>(std::count(request.seeds.begin(), request.seeds.end(), ',')) + 1;
    } else {
      std::uint64_t count = 0;
      const auto [end, error] = std::from_chars(request.seeds.data(), request.seeds.data() + request.seeds.size(), count);
      if (error != std::errc() || end != request.seeds.data() + request.seeds.size()) return 0;
      seeds = static_cast<std::size_t>(std::min<std::uint64_t>(count, std::uint64_t{1} << 30));
    }
  } else if (const auto set = last_set(request, "experiment.seeds")) {
    if (set->is_number_unsigned()) seeds = set->get<std::size_t>();
    if (set->is_array()) seeds = set->size();
  }

  std::vector<std::pair<std::string, std::size_t>> axes;  // key path, value count
  if (const auto set = last_set(request, "sweep")) {
    if (set->is_object())
      for (const auto& [key, values] : set->items()) axes.emplace_back(key, values.is_array() ? values.size() : 0);
  } else if (input.swept) {
    for (const auto& key : kSweptKeys) axes.emplace_back(key, 2);
  }
  const std::size_t config_axes = axes.size();
  for (const auto& assignment : request.sweeps) {
    const std::size_t equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) return 0;
    std::size_t count = 0;
    try {
      count = bnrun::study::parse_sweep_values(assignment.substr(equals + 1), assignment).size();
    } catch (const bnrun::UserError&) {
      return 0;
    }
    const std::string key = assignment.substr(0, equals);
    const auto existing = std::find_if(axes.begin(), axes.end(), [&](const auto& axis) { return axis.first == key; });
    if (existing == axes.end())
      axes.emplace_back(key, count);
    else if (existing - axes.begin() < static_cast<std::ptrdiff_t>(config_axes))
      existing->second = count;
    else
      return 0;
  }
  std::size_t total = seeds;
  for (const auto& axis : axes) total = saturating_product(total, axis.second);
  return total;
}

// What a run folder's config.json holds, read back as --resume and `bnrun compare` read it.
void check_round_trip(const bnrun::config::Config& config, const std::string& config_path) {
  std::string written;
  try {
    written = bnrun::config::to_json(config).dump(2);
  } catch (const nlohmann::json::exception& error) {
    finding("a run's config cannot be written as JSON", error.what());
  }
  const std::filesystem::path file(config_path);
  bnrun::config::Config again;
  try {
    again = bnrun::config::parse_config(nlohmann::json::parse(written), file.parent_path().string(),
                                        file.stem().string());
  } catch (const bnrun::UserError& error) {
    finding("a run's config is rejected when read back", written + "\n---\n" + error.what());
  }
  const std::string rewritten = bnrun::config::to_json(again).dump(2);
  if (rewritten != written) finding("a run's config does not round-trip", written + "\n---\n" + rewritten);
}

std::string describe(const PlanRequest& request) {
  std::string text = "config " + request.config_path + "\nseeds \"" + request.seeds + "\"\n";
  for (const auto& sweep : request.sweeps) text += "sweep " + sweep + "\n";
  for (const auto& set : request.overrides) text += "set " + set + "\n";
  for (const auto& arm : request.arms) text += "arm \"" + arm + "\"\n";
  return text;
}

void check(const Plan& plan, const Input& input) {
  const std::string request = describe(input.request);
  if (plan.runs.empty() || plan.runs.size() > kPlanLimit)
    finding("an accepted plan with no runs or more than 100000", std::to_string(plan.runs.size()) + "\n" + request);
  if (plan.seeds.empty() || plan.group_count * plan.seeds.size() != plan.runs.size())
    finding("the runs are not groups × seeds", request);
  std::set<std::string> folders;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    if (run.index != i + 1) finding("runs not numbered 1, 2, ... in order", request);
    if (run.settings.size() != plan.axes.size()) finding("a run without one setting per axis", request);
    if (run.group >= plan.group_count) finding("a run in a group beyond group_count", request);
    if (!folders.insert(run.folder).second) finding("two runs share a folder name", run.folder + "\n" + request);
    // Every grid point with its first and last seed (the runs of a group differ only in training.seed).
    if (run.seed == plan.seeds.front() || run.seed == plan.seeds.back())
      check_round_trip(run.config, input.request.config_path);
  }
  const bool sweep_replaced = last_set(input.request, "sweep").has_value();
  if (input.swept && !sweep_replaced) {
    if (plan.axes.size() < kSweptKeys.size()) finding("the config's sweep axes are missing", request);
    for (std::size_t a = 0; a < kSweptKeys.size(); ++a)
      if (plan.axes[a].key_path != kSweptKeys[a])
        finding("the config's sweep axes are not first, in the file's order", plan.axes[a].key_path + "\n" + request);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInputBytes) return 0;
  const Input input = input_from(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::size_t expected = expected_runs(input);
  if (expected > kMaxPlannedRuns && expected <= kPlanLimit) return 0;
  try {
    check(bnrun::study::make_plan(input.request), input);
  } catch (const bnrun::UserError& error) {
    check_message(error);
  }
  return 0;
}
