#include "config/config.h"

#include <fmt/format.h>
#include <functional>
#include <algorithm>
#include <filesystem>

#include "core/json_reader.h"
#include "core/names.h"
#include "distributed/communicator.h"

namespace bnrun::config {

using data::DatasetConfig;
using train::ConstantSchedule;
using train::CosineSchedule;
using train::EarlyStoppingConfig;
using train::Loss;
using train::loss_name;
using train::loss_names;
using train::Monitor;
using train::monitor_name;
using train::monitor_names;
using train::monitors_validation;
using train::Schedule;
using train::StepSchedule;
using train::TrainingConfig;

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::int64_t max_epochs = 1'000'000;
constexpr std::int64_t max_batch_size = 100'000'000;

std::string resolve_path(const std::string& path, const std::string& base_directory) {
  const std::filesystem::path given(path);
  if (given.is_absolute() || base_directory.empty()) return given.lexically_normal().string();
  return (std::filesystem::path(base_directory) / given).lexically_normal().string();
}

std::string read_path(ObjectReader& reader, std::string_view key, const std::string& base_directory) {
  const std::string value = reader.required_string(key);
  if (value.empty()) throw KeyPathError(reader.path_of(key), "expected a file path, got an empty string");
  return resolve_path(value, base_directory);
}

// true / "training_rows" (fit on the training split), false, or "all_rows" (fit before splitting: a leak).
data::Standardize parse_standardize(ObjectReader& reader) {
  const json* value = reader.optional("standardize");
  reader.describe("standardize", {{"anyOf", {{{"type", "boolean"}}, {{"enum", {"training_rows", "all_rows"}}}}},
                                  {"default", true}});
  if (value == nullptr) return data::Standardize::training_rows;
  if (value->is_boolean()) return value->get<bool>() ? data::Standardize::training_rows : data::Standardize::none;
  if (value->is_string()) {
    const auto text = value->get<std::string>();
    if (text == "training_rows") return data::Standardize::training_rows;
    if (text == "all_rows") return data::Standardize::all_rows;
  }
  throw KeyPathError(reader.path_of("standardize"),
                     fmt::format("expected true, false, \"training_rows\" or \"all_rows\", got {}",
                                 describe_value(*value)));
}

// {"method": "bnrun" or "sklearn", "random_state": N}: how rows are split, and with which seed when it is not the
// run's (a fixed split, so that --seeds varies the initialization alone).
void parse_split(const json& value, DatasetConfig& dataset) {
  ObjectReader reader(value, "dataset.split");
  const std::string method = reader.choice_or("method", "bnrun", {"bnrun", "sklearn"});
  dataset.split_method = method == "sklearn" ? data::SplitMethod::sklearn : data::SplitMethod::bnrun;
  if (reader.has("random_state"))
    dataset.split_random_state =
        static_cast<std::uint32_t>(reader.required_integer("random_state", 0, 0xffffffffLL));
  reader.finish();
}

// {"folds": K, "stratify": true, "fold": f}: f is set by the study plan (one run per fold) or by hand. A config's
// test_fraction is left unused rather than refused, so that any config can be cross-validated with --folds.
void parse_cross_validation(const json& value, DatasetConfig& dataset) {
  ObjectReader reader(value, "dataset.cross_validation");
  dataset.folds = static_cast<std::size_t>(reader.required_integer("folds", 2, 1000));
  dataset.stratify_folds = reader.boolean_or("stratify", dataset.stratify_folds);
  if (reader.has("fold"))
    dataset.fold = static_cast<std::size_t>(
        reader.required_integer("fold", 1, static_cast<std::int64_t>(dataset.folds)));
  // Its upper bound is "folds", which a JSON Schema cannot compare with: it says the widest.
  reader.describe("fold", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}});
  reader.finish();
}

DatasetConfig parse_dataset(const json& document, const std::string& base_directory) {
  ObjectReader reader(document, "dataset");
  DatasetConfig dataset;
  const bool single_file = reader.has("path");
  const bool split_files = reader.has("train") || reader.has("test");
  if (single_file && split_files)
    throw KeyPathError("dataset",
                      "give either \"path\" (one file, split by test_fraction) or \"train\" and \"test\", not both");
  if (!single_file && !split_files)
    throw KeyPathError("dataset", "needs \"path\" (one CSV file) or \"train\" and \"test\" (two CSV files)");
  if (single_file) {
    dataset.path = read_path(reader, "path", base_directory);
    dataset.test_fraction =
        reader.number_or("test_fraction", dataset.test_fraction, {0.0, 1.0, false, false, "in (0, 1)"});
    dataset.stratify = reader.boolean_or("stratify", dataset.stratify);
  } else {
    dataset.train_path = read_path(reader, "train", base_directory);
    dataset.test_path = read_path(reader, "test", base_directory);
    for (const char* key : {"test_fraction", "stratify"})
      if (reader.has(key))
        throw KeyPathError(reader.path_of(key),
                          "only applies with \"path\"; with separate files the test set is \"test\"");
  }
  // One file or two; the keys that split one file do not go with two.
  const auto requires_key = [](const char* key) { return json{{"required", json::array({key})}}; };
  const json one_file_keys = {{"anyOf", json::array({requires_key("test_fraction"), requires_key("stratify"),
                                                     requires_key("cross_validation")})}};
  reader.constrain({{"oneOf", json::array({requires_key("path"), json{{"required", json::array({"train", "test"})}}})},
                    {"dependentSchemas", {{"train", {{"not", one_file_keys}}}}}});
  dataset.target = reader.required_string("target");
  dataset.features = reader.string_list_or("features", {});
  // "auto" (or no key): found from the file.
  const std::string delimiter = reader.string_or("delimiter", "auto");
  const auto parsed_delimiter = data::delimiter_from_text(delimiter);
  if (!parsed_delimiter)
    throw KeyPathError(reader.path_of("delimiter"),
                       fmt::format("expected {}, got {}", data::delimiter_expected, describe_value(delimiter)));
  dataset.delimiter = *parsed_delimiter;
  // What data::delimiter_from_text accepts.
  reader.describe("delimiter", {{"type", "string"},
                                {"default", "auto"},
                                {"anyOf",
                                 {{{"enum", {"auto", "tab", "\\t"}}},
                                  {{"minLength", 1}, {"maxLength", 1}, {"not", {{"enum", {"\"", "\n", "\r"}}}}}}}});
  dataset.standardize = parse_standardize(reader);
  dataset.standardize_target = reader.boolean_or("standardize_target", dataset.standardize_target);
  dataset.validation_fraction =
      reader.number_or("validation_fraction", dataset.validation_fraction, fraction_below_one());
  dataset.shuffle = reader.boolean_or("shuffle", dataset.shuffle);
  if (const auto* split = reader.optional("split")) {
    parse_split(*split, dataset);
    if (!single_file && dataset.split_method == data::SplitMethod::sklearn)
      throw KeyPathError("dataset.split.method", "\"sklearn\" only applies with \"path\"; with separate files the "
                                                 "test set is \"test\"");
  }
  dataset.allow_special_file = reader.boolean_or("allow_special_file", dataset.allow_special_file);
  if (const auto* cross_validation = reader.optional("cross_validation")) {
    if (!single_file)
      throw KeyPathError("dataset.cross_validation",
                         "only applies with \"path\" (one file to deal into folds), not with \"train\" and \"test\"");
    if (dataset.split_method == data::SplitMethod::sklearn)
      throw KeyPathError("dataset.split.method",
                         "\"sklearn\" is train_test_split's single split; with dataset.cross_validation the folds are "
                         "bnrun's");
    parse_cross_validation(*cross_validation, dataset);
  }
  reader.finish();
  return dataset;
}

// The nonlinearity the model ends in (its last Dense activation or trailing activation layer).
std::optional<nn::Activation> output_activation(const std::vector<nn::LayerSpec>& layers) {
  if (layers.empty()) return std::nullopt;
  return nn::output_nonlinearity(layers.back());
}

// Index of the last Dense layer: its units are the model's output width.
std::size_t last_dense_index(const std::vector<nn::LayerSpec>& layers) {
  for (std::size_t i = layers.size(); i-- > 0;)
    if (std::holds_alternative<nn::DenseSpec>(layers[i])) return i;
  return layers.size();
}

std::vector<nn::LayerSpec> parse_layers(const json& document) {
  ObjectReader reader(document, "model");
  const json& list = reader.required("layers");
  if (!list.is_array() || list.empty())
    throw KeyPathError("model.layers",
                      fmt::format("expected a non-empty array of layers, got {}", describe_value(list)));
  std::vector<nn::LayerSpec> layers;
  for (std::size_t i = 0; i < list.size(); ++i)
    layers.push_back(nn::read_layer(list[i], fmt::format("model.layers[{}]", i), nn::Defaults::allowed));
  reader.describe("layers", {{"type", "array"}, {"minItems", 1}, {"items", {{"$object", "model.layers[]"}}}});
  reader.finish();

  if (last_dense_index(layers) == layers.size()) throw KeyPathError("model.layers", "needs at least one dense layer");
  for (std::size_t i = 0; i < last_dense_index(layers); ++i)
    if (const auto* dense = std::get_if<nn::DenseSpec>(&layers[i]); dense && dense->units == nn::DenseSpec::auto_units)
      throw KeyPathError(fmt::format("model.layers[{}].units", i),
                         "required: only the output layer's width may be left out (or \"auto\"), to be filled "
                         "from the data's classes");
  return layers;
}

optim::OptimizerSettings parse_optimizer(const json& document) {
  ObjectReader reader(document, "training.optimizer");
  const std::string name = reader.choice_or("name", "adam", {"adam", "sgd"});
  optim::OptimizerSettings result;
  if (name == "adam") {
    optim::AdamSettings adam;
    adam.learning_rate = reader.number_or("learning_rate", adam.learning_rate, positive());
    adam.beta_1 = reader.number_or("beta_1", adam.beta_1, fraction_below_one());
    adam.beta_2 = reader.number_or("beta_2", adam.beta_2, fraction_below_one());
    adam.epsilon = reader.number_or("epsilon", adam.epsilon, positive());
    result = adam;
  } else {
    optim::SgdSettings sgd;
    sgd.learning_rate = reader.number_or("learning_rate", sgd.learning_rate, positive());
    sgd.momentum = reader.number_or("momentum", sgd.momentum, fraction_below_one());
    sgd.nesterov = reader.boolean_or("nesterov", sgd.nesterov);
    result = sgd;
  }
  reader.finish();
  return result;
}

Schedule parse_schedule(const json& document) {
  ObjectReader reader(document, "training.schedule");
  reader.required("type");  // throws "is required but missing"
  const std::string type = reader.choice_or("type", "", {"constant", "step", "cosine"});
  Schedule result;
  if (type == "step") {
    StepSchedule step;
    step.every_epochs = reader.required_integer("every_epochs", 1, max_epochs);
    step.factor = reader.number_or("factor", step.factor, {0.0, 1.0, false, true, "in (0, 1]"});
    result = step;
  } else if (type == "cosine") {
    CosineSchedule cosine;
    cosine.min_learning_rate = reader.number_or("min_learning_rate", cosine.min_learning_rate, non_negative());
    result = cosine;
  }
  reader.finish();
  return result;
}

EarlyStoppingConfig parse_early_stopping(const json& document) {
  ObjectReader reader(document, "training.early_stopping");
  EarlyStoppingConfig early_stopping;
  early_stopping.monitor = *value_in(
      monitor_names, reader.choice_or("monitor", monitor_name(early_stopping.monitor), names_in(monitor_names)));
  early_stopping.patience = reader.integer_or("patience", early_stopping.patience, 1, max_epochs);
  early_stopping.min_delta = reader.number_or("min_delta", early_stopping.min_delta, non_negative());
  early_stopping.restore_best = reader.boolean_or("restore_best", early_stopping.restore_best);
  reader.finish();
  return early_stopping;
}

// "balanced", or an object of label → positive weight. Whether the labels are the data's is checked against the
// data (train::resolve_class_weights).
train::ClassWeightConfig parse_class_weight(const json& document) {
  const std::string path = "training.class_weight";
  train::ClassWeightConfig class_weight;
  const auto expected = [&] {
    return KeyPathError(path, fmt::format("expected \"balanced\" or an object of label: weight, got {}",
                                          describe_value(document)));
  };
  if (document.is_string()) {
    if (document.get<std::string>() != "balanced") throw expected();
    class_weight.balanced = true;
    return class_weight;
  }
  if (!document.is_object()) throw expected();
  if (document.empty()) throw KeyPathError(path, "expected at least one label: weight");
  ObjectReader reader(document, path);
  for (const auto& item : document.items())
    class_weight.by_label.emplace_back(item.key(), reader.number_or(item.key(), 1.0, positive()));
  reader.finish();
  return class_weight;
}

TrainingConfig parse_training(const json& document) {
  ObjectReader reader(document, "training");
  TrainingConfig training;
  training.epochs = reader.integer_or("epochs", training.epochs, 1, max_epochs);
  training.batch_size = reader.integer_or("batch_size", training.batch_size, 1, max_batch_size);
  training.seed = static_cast<std::uint64_t>(reader.integer_or("seed", static_cast<std::int64_t>(training.seed), 0));
  std::vector<std::string_view> loss_choices = names_in(loss_names);
  loss_choices.insert(loss_choices.begin(), "auto");
  training.loss = value_in(loss_names, reader.choice_or("loss", "auto", loss_choices));
  training.huber_delta = reader.number_or("huber_delta", training.huber_delta, positive());
  training.shuffle = reader.boolean_or("shuffle", training.shuffle);
  training.l2 = reader.number_or("l2", training.l2, non_negative());
  if (const auto* optimizer = reader.optional("optimizer")) training.optimizer = parse_optimizer(*optimizer);
  if (const auto* schedule = reader.optional("schedule")) training.schedule = parse_schedule(*schedule);
  // null is accepted as "off", so that --set training.early_stopping=null can switch off a configured one.
  if (const auto* early_stopping = reader.optional("early_stopping"); early_stopping && !early_stopping->is_null())
    training.early_stopping = parse_early_stopping(*early_stopping);
  reader.also_accept("early_stopping", {{"type", "null"}});
  training.evaluate_every_steps = reader.integer_or("evaluate_every_steps", 0, 0, std::int64_t{1} << 40);
  // null, as a resolved config writes the default, means the batch size.
  if (const auto* size = reader.optional("evaluation_batch_size"); size && !size->is_null())
    training.evaluation_batch_size = read_integer(*size, reader.path_of("evaluation_batch_size"), 1, max_batch_size);
  reader.describe("evaluation_batch_size",
                  {{"anyOf", {{{"type", "null"}}, {{"type", "integer"}, {"minimum", 1}, {"maximum", max_batch_size}}}},
                   {"default", nullptr}});
  training.distributed = reader.boolean_or("distributed", training.distributed);
  if (training.distributed && !distributed::available())
    throw KeyPathError(reader.path_of("distributed"),
                       "needs a bnrun built with MPI; this one was built without it (install libopenmpi-dev, "
                       "as scripts/install-deps.sh does, and configure again: cmake --preset release)");
  // null is accepted as "unweighted", so that --set training.class_weight=null can switch off a configured one.
  if (const auto* class_weight = reader.optional("class_weight"); class_weight && !class_weight->is_null())
    training.class_weight = parse_class_weight(*class_weight);
  // As parse_class_weight reads it (its labels are the data's, checked against the data).
  reader.describe("class_weight", {{"anyOf",
                                    {{{"type", "null"}},
                                     {{"const", "balanced"}},
                                     {{"type", "object"},
                                      {"minProperties", 1},
                                      {"additionalProperties", {{"type", "number"}, {"exclusiveMinimum", 0}}}}}}});
  reader.finish();
  return training;
}

ReportConfig parse_report(const json& document) {
  ObjectReader reader(document, "report");
  ReportConfig report;
  std::vector<std::string_view> metric_keys;
  for (const auto& definition : results::metric_definitions()) metric_keys.push_back(definition.key);
  // null, as a resolved config writes the default, means no extra column.
  if (const auto* metric = reader.optional("metric"); metric && !metric->is_null())
    report.metric = results::metric_from_key(reader.choice_or("metric", "", metric_keys));
  reader.also_accept("metric", {{"type", "null"}});
  reader.finish();
  return report;
}

ExperimentConfig parse_experiment(const json& document) {
  ObjectReader reader(document, "experiment");
  ExperimentConfig experiment;
  // "variants" is what arms were called before there were more than two; both may be given if they agree (a
  // resolved config writes both).
  const bool has_arms = reader.has("arms");
  const char* list_key = has_arms ? "arms" : "variants";
  if (has_arms || reader.has("variants")) {
    const json& list = reader.required(list_key);
    if (!list.is_array() || list.empty())
      throw KeyPathError(reader.path_of(list_key),
                         fmt::format("expected a non-empty list of arms such as [\"bn\", \"no_bn\"], got {}",
                                     describe_value(list)));
    experiment.arms.clear();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("experiment.{}[{}]", list_key, i);
      experiment::ArmSpec arm = experiment::parse_arm(list[i], path);
      if (experiment.arm(arm.name))
        throw KeyPathError(path, fmt::format("\"{}\" is listed twice (give each arm its own \"name\")", arm.name));
      experiment.arms.push_back(std::move(arm));
    }
  }
  if (has_arms && reader.has("variants")) {
    const auto names = reader.string_list_or("variants", {});
    std::vector<std::string> arm_names;
    for (const auto& arm : experiment.arms) arm_names.push_back(arm.name);
    if (names != arm_names)
      throw KeyPathError("experiment.variants",
                         "differs from experiment.arms: give only \"arms\" (\"variants\" is its older name)");
  }
  if (reader.has("reference")) {
    experiment.reference = reader.required_string("reference");
    if (!experiment.arm(experiment.reference))
      throw KeyPathError("experiment.reference",
                         fmt::format("\"{}\" is not one of the experiment's arms", experiment.reference));
  } else if (!experiment.arm(experiment.reference)) {
    experiment.reference.clear();
  }
  // An arm is a kind's name or an object; "variants", the older name, takes the same (and lists names beside arms).
  std::vector<std::string_view> kinds;
  for (const auto& kind : experiment::arm_kinds()) kinds.push_back(kind.name);
  const json arm_list = {{"type", "array"},
                         {"minItems", 1},
                         {"items", {{"anyOf", {{{"type", "string"}, {"enum", kinds}}, {{"$object", "experiment.arms[]"}}}}}}};
  reader.describe("arms", arm_list);
  reader.describe("variants", {{"anyOf", {arm_list, {{"type", "array"}, {"items", {{"type", "string"}}}}}}});
  reader.finish();
  return experiment;
}

// The output layer against the loss: a softmax or sigmoid for classification, a linear output for regression.
void check_output_against_loss(const Config& config) {
  const auto ending = output_activation(config.layers);
  const std::string last_layer = fmt::format("model.layers[{}]", config.layers.size() - 1);
  if (config.training.loss && train::is_regression(*config.training.loss)) {
    if (ending != nn::Activation::linear)
      throw KeyPathError(last_layer,
                         fmt::format("training.loss \"{}\" is a regression loss: the model must end in a Dense layer "
                                     "of 1 unit with no activation (a linear output); remove the output's activation",
                                     loss_name(*config.training.loss)));
    return;
  }
  if (!ending || (*ending != nn::Activation::softmax && *ending != nn::Activation::sigmoid))
    throw KeyPathError(last_layer,
                       "the model must end in a softmax (one unit per class) or a sigmoid (one unit, two classes): "
                       "set \"activation\" of the last dense layer; for regression (a numeric target) keep it linear "
                       "and set training.loss to \"mse\", \"mae\" or \"huber\"");
  if (config.training.loss == Loss::sparse_categorical_crossentropy && ending != nn::Activation::softmax)
    throw KeyPathError("training.loss", "sparse_categorical_crossentropy needs a softmax output layer");
  if (config.training.loss == Loss::binary_crossentropy && ending != nn::Activation::sigmoid)
    throw KeyPathError("training.loss", "binary_crossentropy needs a sigmoid output layer with one unit");
}

bool given(const json& document, std::initializer_list<const char*> path) {
  const json* node = &document;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return false;
    node = &(*node)[key];
  }
  return true;
}

// A regression loss makes the target numeric; what only has a meaning for classes (stratification, class weights,
// accuracies, the classification metrics) is refused with it, and a regression metric is refused without it.
void resolve_task(const json& document, Config& config) {
  DatasetConfig& dataset = config.dataset;
  const TrainingConfig& training = config.training;
  const bool regression = training.loss && train::is_regression(*training.loss);
  dataset.numeric_target = regression;
  if (config.report.metric && !results::applies_to(*config.report.metric, regression))
    throw KeyPathError("report.metric",
                       fmt::format("\"{}\" is a {} metric, but training.loss \"{}\" makes this a {} run",
                                   results::definition_of(*config.report.metric).key,
                                   regression ? "classification" : "regression", loss_name(effective_loss(config)),
                                   regression ? "regression" : "classification"));
  // dataset.standardize_target and training.huber_delta are left unused where they do not apply rather than
  // refused, as test_fraction under cross-validation: a sweep over training.loss keeps one huber_delta.
  if (!regression) return;
  const std::string why = fmt::format("a regression target (training.loss \"{}\") has no classes", loss_name(*training.loss));
  if (dataset.stratify) throw KeyPathError("dataset.stratify", fmt::format("{} to stratify by", why));
  if (dataset.cross_validated()) {
    if (given(document, {"dataset", "cross_validation", "stratify"}) && dataset.stratify_folds)
      throw KeyPathError("dataset.cross_validation.stratify", fmt::format("{} to stratify the folds by", why));
    dataset.stratify_folds = false;
  }
  if (training.class_weight) throw KeyPathError("training.class_weight", fmt::format("{} to weigh", why));
  if (training.early_stopping && (training.early_stopping->monitor == Monitor::val_accuracy ||
                                  training.early_stopping->monitor == Monitor::train_accuracy))
    throw KeyPathError("training.early_stopping.monitor",
                       fmt::format("{}: monitor \"val_loss\" or \"train_loss\"", why));
}

bool runs_batchnorm(const Config& config) {
  for (const auto& arm : config.experiment.arms)
    if (nn::has_batchnorm(experiment::arm_model(arm, nn::ModelSpec{0, config.layers}))) return true;
  return false;
}

// Throws KeyPathError for the first layer, of the base model or of an arm's model, that cannot take its input
// width. feature_count 0 (the data not read yet) checks what the config alone decides: the layers after a Dense one.
void check_layer_widths(const Config& config, std::size_t feature_count) {
  if (const auto problem = nn::find_width_problem(nn::ModelSpec{feature_count, config.layers}))
    throw KeyPathError(fmt::format("model.layers[{}].{}", problem->layer, problem->key), problem->message);
  const auto& arms = config.experiment.arms;
  for (std::size_t k = 0; k < arms.size(); ++k) {
    const auto model = experiment::arm_model(arms[k], nn::ModelSpec{feature_count, config.layers});
    const auto problem = nn::find_width_problem(model);
    if (!problem) continue;
    const std::string arm_path = fmt::format("experiment.arms[{}]", k);
    const bool arm_sets_key = arms[k].parameters.contains(problem->key);
    const std::string where = fmt::format("(model.layers[{}], which this arm makes a {} layer)", problem->layer,
                                          nn::layer_type(model.layers[problem->layer]));
    if (arm_sets_key)
      throw KeyPathError(fmt::format("{}.{}", arm_path, problem->key), fmt::format("{} {}", problem->message, where));
    throw KeyPathError(arm_path, fmt::format("{} {} {}; give the arm a \"{}\" that divides it", problem->key,
                                             problem->message, where, problem->key));
  }
}

// Each batchnorm mode against the training settings: the base model's layers first (named by their key path),
// then each arm's model (named by the arm, whose parameters set the value).
void check_batchnorm_layers_against_training(const std::vector<nn::LayerSpec>& layers, const TrainingConfig& training,
                                             const std::function<std::string(std::size_t)>& path_of_layer) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto* batchnorm = std::get_if<nn::BatchNormSpec>(&layers[i]);
    if (!batchnorm) continue;
    if (batchnorm->virtual_batch_size > 0 && training.batch_size % batchnorm->virtual_batch_size != 0)
      throw KeyPathError(path_of_layer(i) + ".virtual_batch_size",
                         fmt::format("{} does not divide training.batch_size {}", batchnorm->virtual_batch_size,
                                     training.batch_size));
    if (!batchnorm->running_stats && training.evaluation_batch_size.value_or(training.batch_size) < 2)
      throw KeyPathError("training.evaluation_batch_size",
                         fmt::format("must be at least 2: {}.running_stats is false, so evaluation normalizes each "
                                     "evaluation batch with its own statistics (one row has zero variance)",
                                     path_of_layer(i)));
  }
}

void check_batchnorm_modes_against_training(const Config& config) {
  check_batchnorm_layers_against_training(config.layers, config.training,
                                          [](std::size_t i) { return fmt::format("model.layers[{}]", i); });
  const auto& arms = config.experiment.arms;
  for (std::size_t a = 0; a < arms.size(); ++a)
    check_batchnorm_layers_against_training(
        experiment::arm_model(arms[a], nn::ModelSpec{0, config.layers}).layers, config.training,
        [&](std::size_t i) { return fmt::format("experiment.arms[{}] (\"{}\"): layer {}", a, arms[a].name, i); });
}

void check_consistency(const Config& config) {
  check_layer_widths(config, 0);
  if (runs_batchnorm(config) && config.training.batch_size < 2)
    throw KeyPathError("training.batch_size",
                      "must be at least 2 when the model has batchnorm layers (a batch of one row has zero variance)");
  check_batchnorm_modes_against_training(config);
  check_output_against_loss(config);
  const auto& early_stopping = config.training.early_stopping;
  if (early_stopping && monitors_validation(early_stopping->monitor) && config.dataset.validation_fraction == 0.0)
    throw KeyPathError("training.early_stopping.monitor",
                      fmt::format("\"{}\" needs validation data: set dataset.validation_fraction above 0, or monitor "
                                  "\"train_loss\" or \"train_accuracy\"",
                                  monitor_name(early_stopping->monitor)));
  const auto* cosine = std::get_if<CosineSchedule>(&config.training.schedule);
  const double learning_rate = optim::learning_rate_of(config.training.optimizer);
  if (cosine && cosine->min_learning_rate > learning_rate)
    throw KeyPathError("training.schedule.min_learning_rate",
                      fmt::format("is {}, above training.optimizer.learning_rate {}: a cosine schedule decays from "
                                  "the learning rate down to this minimum",
                                  cosine->min_learning_rate, learning_rate));
}

ordered_json optimizer_to_json(const optim::OptimizerSettings& settings) {
  if (const auto* adam = std::get_if<optim::AdamSettings>(&settings))
    return {{"name", "adam"},
            {"learning_rate", adam->learning_rate},
            {"beta_1", adam->beta_1},
            {"beta_2", adam->beta_2},
            {"epsilon", adam->epsilon}};
  const auto& sgd = std::get<optim::SgdSettings>(settings);
  return {
      {"name", "sgd"}, {"learning_rate", sgd.learning_rate}, {"momentum", sgd.momentum}, {"nesterov", sgd.nesterov}};
}

ordered_json schedule_to_json(const Schedule& schedule) {
  if (const auto* step = std::get_if<StepSchedule>(&schedule))
    return {{"type", "step"}, {"every_epochs", step->every_epochs}, {"factor", step->factor}};
  if (const auto* cosine = std::get_if<CosineSchedule>(&schedule))
    return {{"type", "cosine"}, {"min_learning_rate", cosine->min_learning_rate}};
  return {{"type", "constant"}};
}

ordered_json early_stopping_to_json(const std::optional<EarlyStoppingConfig>& early_stopping) {
  if (!early_stopping) return nullptr;
  return {{"monitor", monitor_name(early_stopping->monitor)},
          {"patience", early_stopping->patience},
          {"min_delta", early_stopping->min_delta},
          {"restore_best", early_stopping->restore_best}};
}

}  // namespace

Config parse_config(const json& document, const std::string& base_directory, const std::string& default_name) {
  ObjectReader reader(document, "");
  Config config;
  // Where an editor finds the config's JSON Schema (bnrun schema); bnrun itself has no use for it.
  if (const auto* schema = reader.optional("$schema"); schema && !schema->is_string())
    throw KeyPathError("$schema", fmt::format("expected a string, got {}", describe_value(*schema)));
  reader.describe("$schema", {{"type", "string"}, {"description", "the JSON Schema this config follows (bnrun schema)"}});
  config.name = reader.string_or("name", default_name);
  reader.describe("name", {{"type", "string"}, {"description", "default: the config file's name without .json"}});
  config.description = reader.string_or("description", "");
  config.dataset = parse_dataset(reader.required("dataset"), base_directory);
  config.layers = parse_layers(reader.required("model"));
  if (const auto* training = reader.optional("training")) config.training = parse_training(*training);
  if (const auto* experiment = reader.optional("experiment")) config.experiment = parse_experiment(*experiment);
  if (const auto* report = reader.optional("report")) config.report = parse_report(*report);
  reader.finish();
  resolve_task(document, config);
  check_consistency(config);
  return config;
}

ordered_json to_json(const Config& config) {
  ordered_json dataset;
  const DatasetConfig& d = config.dataset;
  if (d.has_separate_test_file()) {
    dataset["train"] = d.train_path;
    dataset["test"] = d.test_path;
  } else {
    dataset["path"] = d.path;
  }
  dataset["target"] = d.target;
  dataset["features"] = d.features;
  dataset["delimiter"] = d.delimiter == data::detect_delimiter ? std::string("auto") : std::string(1, d.delimiter);
  // Written as the older bool unless it is "all_rows", so that a study made before the option resumes.
  if (d.standardize == data::Standardize::all_rows)
    dataset["standardize"] = "all_rows";
  else
    dataset["standardize"] = d.standardize == data::Standardize::training_rows;
  // Only for a numeric target, so that the resolved config of every classification run reads as before.
  if (d.numeric_target) dataset["standardize_target"] = d.standardize_target;
  if (!d.has_separate_test_file()) {
    dataset["test_fraction"] = d.test_fraction;
    dataset["stratify"] = d.stratify;
  }
  dataset["validation_fraction"] = d.validation_fraction;
  dataset["shuffle"] = d.shuffle;
  // Only when it is not bnrun's own split with the run's seed, for the same reason.
  if (d.split_method == data::SplitMethod::sklearn || d.split_random_state) {
    dataset["split"] = {{"method", d.split_method == data::SplitMethod::sklearn ? "sklearn" : "bnrun"}};
    if (d.split_random_state) dataset["split"]["random_state"] = *d.split_random_state;
  }
  dataset["allow_special_file"] = d.allow_special_file;
  if (d.cross_validated()) {
    dataset.erase("test_fraction");
    dataset["cross_validation"] = {{"folds", d.folds}, {"stratify", d.stratify_folds}};
    if (d.fold > 0) dataset["cross_validation"]["fold"] = d.fold;
  }

  ordered_json layers = ordered_json::array();
  for (const auto& layer : config.layers) layers.push_back(nn::layer_to_json(layer));

  const TrainingConfig& t = config.training;
  ordered_json training = {{"epochs", t.epochs},
                           {"batch_size", t.batch_size},
                           {"seed", t.seed},
                           {"loss", loss_name(effective_loss(config))},
                           {"shuffle", t.shuffle},
                           {"l2", t.l2},
                           {"optimizer", optimizer_to_json(t.optimizer)},
                           {"schedule", schedule_to_json(t.schedule)},
                           {"early_stopping", early_stopping_to_json(t.early_stopping)},
                           {"evaluate_every_steps", t.evaluate_every_steps},
                           {"evaluation_batch_size", t.evaluation_batch_size ? ordered_json(*t.evaluation_batch_size)
                                                                             : ordered_json(nullptr)}};
  // Only when set, so that the resolved config of every other run reads as before.
  if (t.distributed) training["distributed"] = true;
  if (effective_loss(config) == Loss::huber) training["huber_delta"] = t.huber_delta;
  if (t.class_weight) {
    if (t.class_weight->balanced) {
      training["class_weight"] = "balanced";
    } else {
      ordered_json weights = ordered_json::object();
      for (const auto& [label, weight] : t.class_weight->by_label) weights[label] = weight;
      training["class_weight"] = std::move(weights);
    }
  }
  ordered_json variants = ordered_json::array();
  ordered_json arms = ordered_json::array();
  for (const auto& arm : config.experiment.arms) {
    variants.push_back(arm.name);
    arms.push_back(experiment::arm_to_json(arm));
  }
  ordered_json experiment = {{"variants", variants}, {"arms", arms}};
  if (!config.experiment.reference.empty()) experiment["reference"] = config.experiment.reference;

  ordered_json result;
  result["name"] = config.name;
  if (!config.description.empty()) result["description"] = config.description;
  result["dataset"] = dataset;
  result["model"] = {{"layers", layers}};
  result["training"] = training;
  result["experiment"] = std::move(experiment);
  // Only when set, so that the resolved config of every other run reads as before.
  if (config.report.metric) result["report"] = {{"metric", results::definition_of(*config.report.metric).key}};
  return result;
}

Loss effective_loss(const Config& config) {
  if (config.training.loss) return *config.training.loss;
  return output_activation(config.layers) == nn::Activation::sigmoid ? Loss::binary_crossentropy
                                                                     : Loss::sparse_categorical_crossentropy;
}

namespace {

// The config with an "auto" output width filled in for `class_count` classes.
Config with_output_width(const Config& config, std::size_t class_count) {
  Config resolved = config;
  auto& dense = std::get<nn::DenseSpec>(resolved.layers[last_dense_index(resolved.layers)]);
  dense.units = output_width(config, class_count);
  return resolved;
}

}  // namespace

std::size_t output_width(const Config& config, std::size_t class_count) {
  const auto& dense = std::get<nn::DenseSpec>(config.layers[last_dense_index(config.layers)]);
  if (dense.units != nn::DenseSpec::auto_units) return dense.units;
  const Loss loss = effective_loss(config);
  return loss == Loss::binary_crossentropy || train::is_regression(loss) ? 1 : class_count;
}

void check_against_data(const Config& config, std::size_t class_count, std::size_t feature_count) {
  const Config resolved = with_output_width(config, class_count);
  check_layer_widths(resolved, feature_count);
  const std::size_t index = last_dense_index(resolved.layers);
  const auto& dense = std::get<nn::DenseSpec>(resolved.layers[index]);
  const std::string path = fmt::format("model.layers[{}].units", index);
  if (train::is_regression(effective_loss(config))) {
    if (dense.units != 1)
      throw KeyPathError(path, fmt::format("is {}, but a regression output predicts one number: it needs 1 unit",
                                          dense.units));
  } else if (effective_loss(config) == Loss::binary_crossentropy) {
    if (dense.units != 1)
      throw KeyPathError(path,
                        fmt::format("is {}, but a sigmoid output for binary cross-entropy needs 1 unit", dense.units));
    if (class_count != 2)
      throw KeyPathError(path, fmt::format("a sigmoid output needs exactly 2 classes, but the data has {}; "
                                          "use a softmax layer with {} units",
                                          class_count, class_count));
  } else if (dense.units != class_count) {
    throw KeyPathError(path,
                      fmt::format("is {}, but the data has {} classes: the softmax output needs one unit per class",
                                  dense.units, class_count));
  }
}

void check_class_weight_labels(const Config& config, const std::vector<std::string>& class_names) {
  if (!config.training.class_weight) return;
  for (const auto& [label, weight] : config.training.class_weight->by_label)
    if (std::find(class_names.begin(), class_names.end(), label) == class_names.end())
      throw KeyPathError(fmt::format("training.class_weight.{}", label),
                         fmt::format("\"{}\" is not a label of the data (its labels: {})", label,
                                     fmt::join(class_names, ", ")));
}

const experiment::ArmSpec* ExperimentConfig::arm(std::string_view name) const {
  for (const auto& entry : arms)
    if (entry.name == name) return &entry;
  return nullptr;
}

nn::ModelSpec model_spec(const Config& config, std::size_t feature_count, std::size_t class_count,
                         const experiment::ArmSpec& arm) {
  nn::ModelSpec model =
      experiment::arm_model(arm, nn::ModelSpec{feature_count, with_output_width(config, class_count).layers});
  if (nn::uses_batch_statistics_in_inference(model.layers))
    model.evaluation_batch_size =
        static_cast<std::size_t>(config.training.evaluation_batch_size.value_or(config.training.batch_size));
  return model;
}

std::vector<train::Arm> arm_recipes(const Config& config, std::size_t feature_count, std::size_t class_count) {
  std::vector<train::Arm> arms;
  for (const auto& arm : config.experiment.arms) {
    train::TrainingRecipe recipe;
    recipe.model = model_spec(config, feature_count, class_count, arm);
    recipe.training = config.training;
    recipe.loss = effective_loss(config);
    arms.push_back({arm.name, std::move(recipe)});
  }
  return arms;
}

}  // namespace bnrun::config
