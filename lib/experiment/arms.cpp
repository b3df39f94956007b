#include "experiment/arms.h"

#include <fmt/format.h>
#include <algorithm>
#include <optional>

#include "core/json_reader.h"

namespace bnrun::experiment {

namespace {

using nlohmann::json;

// One kind of arm. `read` takes the kind's parameters from the arm's object (every key it knows) into `parameters`;
// `apply` transforms the base model with parameters that `read` accepted.
struct Kind {
  std::string_view name;
  std::string_view summary;
  void (*read)(ObjectReader& reader, json& parameters);
  void (*apply)(const json& parameters, nn::ModelSpec& model);
};

void read_batchnorm_overrides(ObjectReader& reader, json& parameters) {
  if (reader.has("momentum"))
    parameters["momentum"] = reader.number_or("momentum", 0.0, {0.0, 1.0, true, true, "in [0, 1]"});
  if (reader.has("epsilon")) parameters["epsilon"] = reader.number_or("epsilon", 0.0, positive());
  if (reader.has("running_variance"))
    parameters["running_variance"] = reader.choice_or("running_variance", "", {"biased", "unbiased"});
}

void override_batchnorm_layers(const json& parameters, nn::ModelSpec& model) {
  for (auto& layer : model.layers) {
    auto* batchnorm = std::get_if<nn::BatchNormSpec>(&layer);
    if (!batchnorm) continue;
    if (parameters.contains("momentum")) batchnorm->momentum = parameters["momentum"].get<double>();
    if (parameters.contains("epsilon")) batchnorm->epsilon = parameters["epsilon"].get<double>();
    if (parameters.contains("running_variance"))
      batchnorm->running_variance = parameters["running_variance"] == "biased" ? nn::RunningVariance::biased
                                                                              : nn::RunningVariance::unbiased;
  }
}

void read_nothing(ObjectReader&, json&) {}

// The batchnorm modes (nn/layers/batchnorm.h): each arm puts every batchnorm layer in its mode and switches off
// the modes that do not combine with it, so that any base model gives a valid arm.
template <class Change>
void change_batchnorm_layers(nn::ModelSpec& model, Change&& change) {
  for (auto& layer : model.layers)
    if (auto* batchnorm = std::get_if<nn::BatchNormSpec>(&layer)) change(*batchnorm);
}

// 16 divides every batch size that is a multiple of 16, and gives 2 or more sub-batches from batch 32 up.
constexpr std::int64_t default_virtual_batch_size = 16;

void read_virtual_batch_size(ObjectReader& reader, json& parameters) {
  if (reader.has("virtual_batch_size"))
    parameters["virtual_batch_size"] = reader.integer_or("virtual_batch_size", 0, 2, 100'000'000);
}

void ghost_batchnorm(const json& parameters, nn::ModelSpec& model) {
  change_batchnorm_layers(model, [&](nn::BatchNormSpec& batchnorm) {
    batchnorm.virtual_batch_size = parameters.value("virtual_batch_size", default_virtual_batch_size);
    batchnorm.running_stats = true;
    batchnorm.renorm.reset();
  });
}

void read_renorm(ObjectReader& reader, json& parameters) {
  const auto given = json(nn::renorm_to_json(nn::read_renorm_settings(reader, nn::Defaults::allowed)));
  for (const char* key : {"momentum", "r_max", "d_max"})
    if (reader.has(key)) parameters[key] = given[key];
}

void batch_renormalization(const json& parameters, nn::ModelSpec& model) {
  ObjectReader reader(parameters, "");
  const nn::RenormSpec renorm = nn::read_renorm_settings(reader, nn::Defaults::allowed);
  change_batchnorm_layers(model, [&](nn::BatchNormSpec& batchnorm) {
    batchnorm.renorm = renorm;
    batchnorm.running_stats = true;
    batchnorm.virtual_batch_size = 0;
  });
}

void batch_statistics_in_inference(const json&, nn::ModelSpec& model) {
  change_batchnorm_layers(model, [](nn::BatchNormSpec& batchnorm) {
    batchnorm.momentum = batchnorm.momentum.value_or(nn::BatchNormSpec{}.momentum.value());
    batchnorm.running_stats = false;
    batchnorm.virtual_batch_size = 0;
    batchnorm.renorm.reset();
  });
}

void cumulative_average(const json&, nn::ModelSpec& model) {
  change_batchnorm_layers(model, [](nn::BatchNormSpec& batchnorm) {
    batchnorm.momentum.reset();
    batchnorm.running_stats = true;
  });
}

// Data parallelism's two BatchNorm modes (nn/layers/batchnorm.h, "Across processes"). In one process both are the
// plain BatchNorm of the base model; they differ only when training.distributed splits each batch across processes.
void synchronized_batchnorm(const json&, nn::ModelSpec& model) {
  change_batchnorm_layers(model, [](nn::BatchNormSpec& batchnorm) {
    batchnorm.synchronized = true;
    batchnorm.virtual_batch_size = 0;
    batchnorm.renorm.reset();
  });
}

void local_batchnorm(const json&, nn::ModelSpec& model) {
  change_batchnorm_layers(model, [](nn::BatchNormSpec& batchnorm) { batchnorm.synchronized = false; });
}

void remove_batchnorm_layers(const json&, nn::ModelSpec& model) {
  model = nn::without_batchnorm(model);
}

// Replaces every batchnorm layer of the model by the layer make(batchnorm layer) returns.
template <class Make>
void replace_batchnorm_layers(nn::ModelSpec& model, Make make) {
  for (auto& layer : model.layers)
    if (const auto* batchnorm = std::get_if<nn::BatchNormSpec>(&layer)) layer = make(*batchnorm);
}

void read_layernorm(ObjectReader& reader, json& parameters) {
  if (reader.has("epsilon")) parameters["epsilon"] = reader.number_or("epsilon", 0.0, positive());
}

// The replacing layer keeps the batchnorm layer's center and scale; its epsilon is its own kind's default.
void to_layernorm(const json& parameters, nn::ModelSpec& model) {
  replace_batchnorm_layers(model, [&](const nn::BatchNormSpec& batchnorm) {
    nn::LayerNormSpec layernorm;
    layernorm.epsilon = parameters.value("epsilon", layernorm.epsilon);
    layernorm.center = batchnorm.center;
    layernorm.scale = batchnorm.scale;
    return layernorm;
  });
}

void read_groupnorm(ObjectReader& reader, json& parameters) {
  if (reader.has("groups")) parameters["groups"] = reader.integer_or("groups", 0, 1, nn::max_layer_width);
  read_layernorm(reader, parameters);
}

void to_groupnorm(const json& parameters, nn::ModelSpec& model) {
  replace_batchnorm_layers(model, [&](const nn::BatchNormSpec& batchnorm) {
    nn::GroupNormSpec groupnorm;
    groupnorm.groups = parameters.value("groups", groupnorm.groups);
    groupnorm.epsilon = parameters.value("epsilon", groupnorm.epsilon);
    groupnorm.center = batchnorm.center;
    groupnorm.scale = batchnorm.scale;
    return groupnorm;
  });
}

void read_dropout(ObjectReader& reader, json& parameters) {
  if (reader.has("rate")) parameters["rate"] = reader.number_or("rate", 0.0, fraction_below_one());
  if (reader.has("keep_batchnorm")) parameters["keep_batchnorm"] = reader.boolean_or("keep_batchnorm", false);
}

// Dropout in each batchnorm layer's place, or (keep_batchnorm) right after it: BN and Dropout together, the
// "both" arm of a normalization-or-regularization comparison.
void to_dropout(const json& parameters, nn::ModelSpec& model) {
  nn::DropoutSpec dropout;
  dropout.rate = parameters.value("rate", dropout.rate);
  if (!parameters.value("keep_batchnorm", false)) {
    replace_batchnorm_layers(model, [&](const nn::BatchNormSpec&) { return dropout; });
    return;
  }
  std::vector<nn::LayerSpec> layers;
  for (const auto& layer : model.layers) {
    layers.push_back(layer);
    if (std::holds_alternative<nn::BatchNormSpec>(layer)) layers.push_back(dropout);
  }
  model.layers = std::move(layers);
}

constexpr Kind kinds[] = {
    {"bn", "the model as written; \"momentum\", \"epsilon\", \"running_variance\" override every batchnorm layer",
     read_batchnorm_overrides, override_batchnorm_layers},
    {"no_bn", "every batchnorm layer removed (the same Dense initial weights, splits and batches)", read_nothing,
     remove_batchnorm_layers},
    {"ghost_bn", "Ghost BN: batch statistics per \"virtual_batch_size\" rows (default 16) in training",
     read_virtual_batch_size, ghost_batchnorm},
    {"batch_renorm", "Batch Renormalization; \"r_max\", \"d_max\" (schedules, the paper's by default), \"momentum\"",
     read_renorm, batch_renormalization},
    {"bn_batch_stats", "batch statistics in evaluation too (running_stats false)", read_nothing,
     batch_statistics_in_inference},
    {"bn_cumulative", "running statistics as the cumulative average of all batches (momentum null)", read_nothing,
     cumulative_average},
    {"layernorm", "every batchnorm layer replaced by layernorm (its center and scale kept); \"epsilon\" (1e-5)",
     read_layernorm, to_layernorm},
    {"groupnorm",
     "every batchnorm layer replaced by groupnorm (its center and scale kept); \"groups\" (2), \"epsilon\" (1e-5)",
     read_groupnorm, to_groupnorm},
    {"dropout",
     "every batchnorm layer replaced by dropout; \"rate\" (0.5), \"keep_batchnorm\" (false; true: dropout right after "
     "each batchnorm layer instead)",
     read_dropout, to_dropout},
    {"sync_bn",
     "across processes (training.distributed): batch statistics of the whole batch, every process's slice "
     "(SyncBN); in one process, plain BN",
     read_nothing, synchronized_batchnorm},
    {"local_bn",
     "across processes (training.distributed): each process normalizes its slice with its own statistics, running "
     "statistics averaged (plain data parallelism); in one process, plain BN",
     read_nothing, local_batchnorm},
};

const Kind* find_kind(std::string_view name) {
  const auto found = std::find_if(std::begin(kinds), std::end(kinds), [&](const Kind& k) { return k.name == name; });
  return found == std::end(kinds) ? nullptr : found;
}

std::vector<std::string_view> kind_names() {
  std::vector<std::string_view> names;
  for (const auto& kind : kinds) names.push_back(kind.name);
  return names;
}

std::string quoted_kind_names() {
  std::string text;
  for (const auto& kind : kinds) text += fmt::format("{}\"{}\"", text.empty() ? "" : ", ", kind.name);
  return text;
}

}  // namespace

std::vector<ArmKind> arm_kinds() {
  std::vector<ArmKind> result;
  for (const auto& kind : kinds) result.push_back({kind.name, kind.summary});
  return result;
}

ArmSpec builtin_arm(std::string_view kind) {
  return {std::string(kind), std::string(kind), json::object()};
}

std::vector<ArmSpec> default_arms() {
  return {builtin_arm("bn"), builtin_arm("no_bn")};
}

ArmSpec parse_arm(const json& entry, const std::string& path) {
  if (entry.is_string()) {
    const std::string name = entry.get<std::string>();
    if (!find_kind(name))
      throw KeyPathError(path, fmt::format("expected an arm kind ({}) or an object {{\"name\": ..., \"kind\": ...}}, "
                                           "got \"{}\"",
                                           quoted_kind_names(), name));
    return {name, name, json::object()};
  }
  if (!entry.is_object())
    throw KeyPathError(path, fmt::format("expected an arm kind ({}) or an object {{\"name\": ..., \"kind\": ...}}, "
                                         "got {}",
                                         quoted_kind_names(), describe_value(entry)));
  ObjectReader reader(entry, path);
  reader.required("kind");  // throws "is required but missing"
  ArmSpec arm;
  arm.kind = reader.choice_or("kind", "", kind_names());
  arm.name = reader.string_or("name", arm.kind);
  if (arm.name.empty()) throw KeyPathError(reader.path_of("name"), "expected a name, got an empty string");
  find_kind(arm.kind)->read(reader, arm.parameters);
  reader.finish();
  return arm;
}

nlohmann::ordered_json arm_to_json(const ArmSpec& arm) {
  if (arm.name == arm.kind && arm.parameters.empty()) return arm.name;
  nlohmann::ordered_json entry = {{"name", arm.name}, {"kind", arm.kind}};
  for (const auto& [key, value] : arm.parameters.items()) entry[key] = value;
  return entry;
}

nn::ModelSpec arm_model(const ArmSpec& arm, const nn::ModelSpec& base) {
  nn::ModelSpec model = base;
  find_kind(arm.kind)->apply(arm.parameters, model);
  return model;
}

}  // namespace bnrun::experiment
