#include "study/plan.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/files.h"
#include "core/json_reader.h"
#include "core/json_text.h"
#include "core/error.h"
#include "core/printable.h"
#include "core/text.h"

namespace bnrun::study {

namespace {

using nlohmann::json;

// The last key of a path without array indices: "model.layers[1].momentum" → "momentum".
std::string last_key(const std::string& key_path) {
  const std::size_t dot = key_path.rfind('.');
  return dot == std::string::npos ? key_path : key_path.substr(dot + 1);
}

void name_axes(std::vector<SweepAxis>& axes) {
  for (auto& axis : axes) {
    axis.short_name = last_key(axis.key_path);
    const auto same = std::count_if(
        axes.begin(), axes.end(), [&](const SweepAxis& other) { return last_key(other.key_path) == axis.short_name; });
    if (same > 1) axis.short_name = axis.key_path;
  }
}

// Characters that are safe in a folder name on every system; anything else becomes '-'.
std::string folder_safe(const std::string& text) {
  std::string safe;
  for (const char c : text.substr(0, 48)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-' || c == '+' || c == '=';
    safe += keep ? c : '-';
  }
  return safe;
}

std::vector<std::uint64_t> parse_seed_list(const std::string& text, const std::string& source) {
  std::vector<std::uint64_t> seeds;
  // getline drops an empty last item: "5," would quietly be seed 5.
  if (text.empty() || text.back() == ',')
    throw UserError(fmt::format("{}: expected a count or a comma-separated list of seeds, got \"{}\" (an empty seed "
                                "after the last comma)",
                                source, text));
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    std::uint64_t seed = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), seed);
    if (item.empty() || error != std::errc() || end != item.data() + item.size())
      throw UserError(fmt::format("{}: expected a count or a comma-separated list of seeds, got \"{}\"", source, text));
    seeds.push_back(seed);
  }
  return seeds;
}

// Runs bnrun plans at most: each planned run holds its resolved config, so the plan's memory grows with it.
constexpr std::size_t max_runs = 100000;

// What a study's seeds vary (experiment.vary): "both" the split and the initialization (training.seed, which the
// split follows unless dataset.split.random_state fixes it), only the "initialization" (the split held at the
// config's, training.seed's unless random_state gives one), or only the "split" (dataset.split.random_state, the
// initialization held at the config's training.seed).
enum class SeedsVary { both, initialization, split };

SeedsVary read_seeds_vary(json& document, const std::string& path) {
  if (!document.contains("experiment") || !document["experiment"].is_object() ||
      !document["experiment"].contains("vary"))
    return SeedsVary::both;
  const json value = document["experiment"]["vary"];
  document["experiment"].erase("vary");
  if (value == "both") return SeedsVary::both;
  if (value == "initialization") return SeedsVary::initialization;
  if (value == "split") return SeedsVary::split;
  throw UserError(fmt::format("{}: experiment.vary: expected \"both\", \"initialization\" or \"split\", got {}", path,
                              describe_value(value)));
}

// The overrides that make a run of `seed` vary what `vary` says.
void seed_overrides(SeedsVary vary, std::uint64_t seed, const config::Config& base,
                    std::vector<config::Override>& overrides) {
  const auto split_seed = [](std::uint64_t value) {
    if (value > 0xffffffffULL)
      throw UserError(fmt::format("seed {}: a split's random_state must be below 2^32 (experiment.vary)", value));
    return value;
  };
  switch (vary) {
    case SeedsVary::both:
      overrides.push_back({fmt::format("training.seed={}", seed), "--seeds"});
      break;
    case SeedsVary::initialization:
      overrides.push_back({fmt::format("training.seed={}", seed), "--seeds"});
      if (!base.dataset.split_random_state)
        overrides.push_back({fmt::format("dataset.split.random_state={}", split_seed(base.training.seed)),
                             "experiment.vary"});
      break;
    case SeedsVary::split:
      overrides.push_back({fmt::format("dataset.split.random_state={}", split_seed(seed)), "--seeds"});
      break;
  }
}

// Grid points × seeds, multiplied with overflow checks: "256 × 256 × … × 1 seed" is refused with its size
// (or "more than 2^64") instead of wrapping around to a small number.
std::size_t checked_run_count(const std::vector<SweepAxis>& axes, std::size_t seeds) {
  std::size_t total = seeds;
  bool overflow = false;
  std::string factors;
  for (const auto& axis : axes) {
    overflow = overflow || __builtin_mul_overflow(total, axis.values.size(), &total);
    factors += fmt::format("{} × ", axis.values.size());
  }
  factors += fmt::format("{} seed{}", seeds, seeds == 1 ? "" : "s");
  if (overflow)
    throw UserError(fmt::format("the study has more than 2^64 runs ({}); at most {} are allowed", factors, max_runs));
  if (total > max_runs)
    throw UserError(fmt::format("the study has {} runs ({}); at most {} are allowed", total, factors, max_runs));
  return total;
}

std::vector<std::uint64_t> seeds_from_count(std::int64_t count, std::uint64_t base, const std::string& source) {
  if (count < 1 || count > 100000)
    throw UserError(fmt::format("{}: the number of seeds must be between 1 and 100000, got {}", source, count));
  std::vector<std::uint64_t> seeds;
  for (std::int64_t i = 0; i < count; ++i) seeds.push_back(base + static_cast<std::uint64_t>(i));
  return seeds;
}

void check_unique_seeds(const std::vector<std::uint64_t>& seeds, const std::string& source) {
  auto sorted = seeds;
  std::sort(sorted.begin(), sorted.end());
  const auto repeated = std::adjacent_find(sorted.begin(), sorted.end());
  if (repeated != sorted.end()) throw UserError(fmt::format("{}: seed {} is listed twice", source, *repeated));
}

// The config's "sweep" section in the order the file writes it (nlohmann::json sorts keys; ordered_json keeps
// them), as axes.
std::vector<SweepAxis> config_sweep_axes(const json& document, const std::string& path) {
  std::vector<SweepAxis> axes;
  if (!document.contains("sweep")) return axes;
  const json& sweep = document["sweep"];
  if (!sweep.is_object())
    throw UserError(fmt::format("{}: sweep: expected an object {{\"key.path\": [values]}}", path));
  nlohmann::ordered_json ordered;
  if (const auto text = read_file_if_readable(path)) ordered = parse_ordered_json_text(*text, path);
  std::vector<std::string> keys;
  if (ordered.is_object() && ordered.contains("sweep") && ordered["sweep"].is_object())
    for (const auto& [key, value] : ordered["sweep"].items()) keys.push_back(key);
  for (const auto& [key, value] : sweep.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  for (const auto& key : keys) {
    // The file's order, the document's values: --set sweep=… may have replaced the section, dropping some keys.
    if (!sweep.contains(key)) continue;
    const json& values = sweep[key];
    if (!values.is_array() || values.empty())
      throw UserError(fmt::format("{}: sweep.{}: expected a non-empty array of values", path, key));
    axes.push_back({key, "", std::vector<json>(values.begin(), values.end()), "sweep"});
  }
  return axes;
}

}  // namespace

std::string value_text(const json& value) {
  if (is_labelled_value(value)) return value["label"].get<std::string>();
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool is_labelled_value(const json& value) {
  return value.is_object() && value.size() == 2 && value.contains("label") && value["label"].is_string() &&
         value.contains("value");
}

const json& unlabelled(const json& value) {
  return is_labelled_value(value) ? value["value"] : value;
}

std::vector<json> parse_sweep_values(const std::string& text, const std::string& assignment) {
  std::vector<std::string> pieces(1);
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 1 < text.size()) {
        pieces.back() += c;
        pieces.back() += text[++i];
        continue;
      }
      if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      pieces.emplace_back();
      continue;
    }
    pieces.back() += c;
  }
  if (quoted || depth != 0) throw UserError(fmt::format("--sweep {}: unbalanced quotes or brackets", assignment));
  if (excessive_json_nesting_offset(text, max_json_nesting) != std::string::npos)
    throw UserError(fmt::format("--sweep {}: a value nests more than 64 levels deep", assignment));
  std::vector<json> values;
  for (const auto& piece : pieces) {
    if (piece.empty()) throw UserError(fmt::format("--sweep {}: empty value in the list", assignment));
    auto value = json_value_of(piece);
    // A value that is not JSON is a string, and strings in configs and results are UTF-8 (as for --set).
    if (!value && !is_valid_utf8(piece))
      throw UserError(fmt::format("--sweep {}: a value is not valid UTF-8 text",
                                  assignment.substr(0, assignment.find('='))));
    values.push_back(value ? std::move(*value) : json(piece));
  }
  return values;
}

Plan make_plan(const PlanRequest& request) {
  Plan plan;
  plan.config_path = request.config_path;
  json document = config::read_config_document(request.config_path);
  const std::string& path = request.config_path;
  if (!document.is_object())
    throw UserError(fmt::format("{}: expected a JSON object {{\"dataset\": ..., \"model\": ..., ...}}, got {}", path,
                                document.type_name()));

  // --set may also set the study keys (--set experiment.seeds=5, experiment.vary); those overrides apply to the
  // document itself.
  std::vector<std::string> run_overrides_text;
  for (const auto& assignment : request.overrides) {
    const std::string key = assignment.substr(0, assignment.find('='));
    if (key == "sweep" || key == "experiment.seeds" || key == "experiment.vary")
      config::apply_override(document, assignment);
    else
      run_overrides_text.push_back(assignment);
  }
  // The study keys are read here and removed: a run's config is a single point of the grid.
  std::vector<SweepAxis> axes = config_sweep_axes(document, path);
  const std::size_t config_axes = axes.size();
  document.erase("sweep");
  if (document.contains("claim")) {
    plan.claim = document["claim"];
    document.erase("claim");
  }
  if (document.contains("launcher")) {
    plan.launcher = document["launcher"];
    document.erase("launcher");
  }
  std::optional<json> config_seeds;
  if (document.contains("experiment") && document["experiment"].is_object() &&
      document["experiment"].contains("seeds")) {
    config_seeds = document["experiment"]["seeds"];
    document["experiment"].erase("seeds");
  }
  const SeedsVary vary = read_seeds_vary(document, path);

  for (const auto& assignment : request.sweeps) {
    const std::size_t equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UserError(fmt::format("--sweep {}: expected key.path=v1,v2,...", assignment));
    SweepAxis axis{assignment.substr(0, equals), "", parse_sweep_values(assignment.substr(equals + 1), assignment),
                   "--sweep"};
    const auto existing =
        std::find_if(axes.begin(), axes.end(), [&](const SweepAxis& other) { return other.key_path == axis.key_path; });
    if (existing == axes.end()) {
      axes.push_back(std::move(axis));
    } else if (existing - axes.begin() < static_cast<std::ptrdiff_t>(config_axes)) {
      existing->values = std::move(axis.values);  // the command line wins over the config's sweep section
      existing->origin = "--sweep";
    } else {
      throw UserError(fmt::format("--sweep {}: {} is swept twice on the command line", assignment, axis.key_path));
    }
  }
  name_axes(axes);

  std::vector<config::Override> overrides;
  for (const auto& assignment : run_overrides_text) overrides.push_back({assignment, "--set"});
  // The base config (overrides applied, no sweep): its training.seed is where a seed count starts.
  const config::Config base = config::resolve_config(document, path, overrides, request.arms);

  const bool seeds_requested = !request.seeds.empty() || config_seeds.has_value();
  if (!request.seeds.empty()) {
    const bool is_list = request.seeds.find(',') != std::string::npos;
    const auto listed = parse_seed_list(request.seeds, "--seeds");
    plan.seeds = is_list ? listed
                         : seeds_from_count(static_cast<std::int64_t>(std::min<std::uint64_t>(listed[0], 1u << 30)),
                                            base.training.seed, "--seeds");
    check_unique_seeds(plan.seeds, "--seeds");
  } else if (config_seeds) {
    const std::string source = fmt::format("{}: experiment.seeds", path);
    if (config_seeds->is_number_integer()) {
      plan.seeds = seeds_from_count(config_seeds->get<std::int64_t>(), base.training.seed, source);
    } else if (config_seeds->is_array() && !config_seeds->empty() &&
               std::all_of(config_seeds->begin(), config_seeds->end(),
                           [](const json& seed) { return seed.is_number_unsigned(); })) {
      plan.seeds = config_seeds->get<std::vector<std::uint64_t>>();
    } else {
      throw UserError(
          fmt::format("{}: expected a count (integer ≥ 1) or a non-empty list of seeds (integers ≥ 0)", source));
    }
    check_unique_seeds(plan.seeds, source);
  } else {
    plan.seeds = {base.training.seed};
  }
  for (const auto& axis : axes) {
    if (axis.key_path == "training.seed" && seeds_requested)
      throw UserError("training.seed is both swept and set by --seeds / experiment.seeds: use one of them");
    if (axis.key_path.rfind("dataset.cross_validation", 0) == 0)
      throw UserError(fmt::format("{}: cross-validation settings cannot be swept (every setting of a study is "
                                  "cross-validated alike); run one study per setting",
                                  axis.key_path));
  }
  // Cross-validation: each seed's run becomes one run per fold (innermost), unless the config names its fold.
  const std::size_t folds = base.dataset.fold == 0 ? base.dataset.folds : 0;

  if (vary != SeedsVary::both && !seeds_requested)
    throw UserError(fmt::format("{}: experiment.vary applies to the seeds of a study: give --seeds or "
                                "experiment.seeds",
                                path));
  if (vary != SeedsVary::both)
    for (const auto& axis : axes)
      if (axis.key_path == "dataset.split.random_state" || axis.key_path == "dataset.split")
        throw UserError(fmt::format("{} is swept while experiment.vary chooses what the seeds vary: use one of them",
                                    axis.key_path));

  plan.is_study = !axes.empty() || seeds_requested || folds > 0;
  plan.axes = axes;

  const std::size_t total = checked_run_count(axes, plan.seeds.size() * std::max<std::size_t>(folds, 1));
  const std::size_t points = total / (plan.seeds.size() * std::max<std::size_t>(folds, 1));
  const int index_width = std::max<int>(3, static_cast<int>(std::to_string(total).size()));
  plan.group_count = points;

  for (std::size_t point = 0; point < points; ++point) {
    // Mixed-radix digits of `point`, the first axis varying slowest.
    std::vector<Setting> settings(axes.size());
    std::size_t rest = point;
    for (std::size_t a = axes.size(); a-- > 0;) {
      settings[a] = {axes[a].key_path, axes[a].values[rest % axes[a].values.size()]};
      rest /= axes[a].values.size();
    }
    for (const std::uint64_t seed : plan.seeds) {
      for (std::size_t fold = folds > 0 ? 1 : 0; fold <= folds; ++fold) {
        PlannedRun run;
        run.index = plan.runs.size() + 1;
        run.settings = settings;
        run.seed = seed;
        run.group = point;
        std::vector<config::Override> run_overrides = overrides;
        std::string folder = fmt::format("{:0{}}", run.index, index_width);
        for (std::size_t a = 0; a < axes.size(); ++a) {
          run_overrides.push_back(
              {fmt::format("{}={}", axes[a].key_path, unlabelled(settings[a].value).dump()), axes[a].origin});
          folder += fmt::format("_{}={}", folder_safe(axes[a].short_name), folder_safe(value_text(settings[a].value)));
        }
        if (seeds_requested) {
          seed_overrides(vary, seed, base, run_overrides);
          folder += fmt::format("_seed={}", seed);
        }
        if (fold > 0) {
          run_overrides.push_back({fmt::format("dataset.cross_validation.fold={}", fold), "cross-validation"});
          folder += fmt::format("_fold={}", fold);
        }
        run.config = config::resolve_config(document, path, run_overrides, request.arms);
        run.fold = run.config.dataset.fold;
        run.folder = folder;
        plan.runs.push_back(std::move(run));
      }
    }
  }
  return plan;
}

namespace {

constexpr int plan_format = 1;

nlohmann::ordered_json settings_to_json(const std::vector<Setting>& settings) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& setting : settings) list.push_back({{"key_path", setting.key_path}, {"value", setting.value}});
  return list;
}

}  // namespace

nlohmann::ordered_json plan_runs_json(const Plan& plan) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const auto& run : plan.runs)
    runs.push_back({{"index", run.index},
                    {"folder", run.folder},
                    {"group", run.group},
                    {"seed", run.seed},
                    {"settings", settings_to_json(run.settings)},
                    {"config", config::to_json(run.config)}});
  return runs;
}

nlohmann::ordered_json plan_to_json(const Plan& plan, const std::string& command_line) {
  nlohmann::ordered_json axes = nlohmann::ordered_json::array();
  for (const auto& axis : plan.axes)
    axes.push_back(
        {{"key_path", axis.key_path}, {"short_name", axis.short_name}, {"values", axis.values}, {"origin", axis.origin}});
  return {{"bnrun_plan", plan_format},
          {"config_path", plan.config_path},
          {"command_line", command_line},
          {"is_study", plan.is_study},
          {"axes", axes},
          {"seeds", plan.seeds},
          {"group_count", plan.group_count},
          {"claim", plan.claim},
          {"runs", plan_runs_json(plan)}};
}

Plan plan_from_json(const json& document, const std::string& file) {
  if (!document.is_object() || document.value("bnrun_plan", 0) != plan_format)
    throw UserError(fmt::format("{}: not a bnrun study plan (format {})", file, plan_format));
  try {
    Plan plan;
    plan.config_path = document.at("config_path").get<std::string>();
    plan.is_study = document.at("is_study").get<bool>();
    for (const auto& axis : document.at("axes"))
      plan.axes.push_back({axis.at("key_path").get<std::string>(), axis.at("short_name").get<std::string>(),
                           axis.at("values").get<std::vector<json>>(), axis.at("origin").get<std::string>()});
    plan.seeds = document.at("seeds").get<std::vector<std::uint64_t>>();
    plan.group_count = document.at("group_count").get<std::size_t>();
    plan.claim = document.at("claim");
    for (const auto& entry : document.at("runs")) {
      PlannedRun run;
      run.index = entry.at("index").get<std::size_t>();
      run.folder = entry.at("folder").get<std::string>();
      run.group = entry.at("group").get<std::size_t>();
      run.seed = entry.at("seed").get<std::uint64_t>();
      for (const auto& setting : entry.at("settings"))
        run.settings.push_back({setting.at("key_path").get<std::string>(), setting.at("value")});
      // Resolved already: its data paths are as the study's runs read them.
      run.config = config::parse_config(entry.at("config"), "", run.folder);
      run.fold = run.config.dataset.fold;
      plan.runs.push_back(std::move(run));
    }
    if (plan.runs.empty()) throw UserError(fmt::format("{}: the plan has no runs", file));
    return plan;
  } catch (const UserError& error) {
    throw UserError(fmt::format("{}: not a bnrun study plan: {}", file, error.what()));
  } catch (const std::exception& error) {
    throw UserError(fmt::format("{}: not a bnrun study plan: {}", file, error.what()));
  }
}

}  // namespace bnrun::study
