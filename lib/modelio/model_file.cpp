#include "modelio/model_file.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/json_reader.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_text.h"

namespace bnrun::modelio {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view format_tag = "bnrun-model";
using TensorSlot = nn::ModelTensor<float>;

std::string shape_text(const std::vector<std::size_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

const StoredTensor* find_tensor(const StoredWeights& weights, const std::string& layer, const std::string& key) {
  const auto stored_layer = weights.find(layer);
  if (stored_layer == weights.end()) return nullptr;
  const auto stored = stored_layer->second.find(key);
  return stored == stored_layer->second.end() ? nullptr : &stored->second;
}

// ---------------------------------------------------------------------------------------------------------
// Writing.

// Each float widened to double, which nlohmann writes in the shortest text that reads back as that double.
ordered_json numbers_json(const float* values, std::size_t count) {
  ordered_json numbers = ordered_json::array();
  for (std::size_t i = 0; i < count; ++i) numbers.push_back(static_cast<double>(values[i]));
  return numbers;
}

ordered_json weights_json(const std::string& path, nn::Model<float>& model) {
  ordered_json weights = ordered_json::object();
  for (const TensorSlot& slot : model.tensors()) {
    const std::vector<float>& values = *slot.values;
    const auto not_finite = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
    if (not_finite != values.end())
      throw UserError(fmt::format("{}: cannot save the model: {}/{} holds {} (the run diverged)", path, slot.layer,
                                  slot.info.key, *not_finite));
    ordered_json tensor;
    if (slot.info.shape.size() == 2) {
      tensor = ordered_json::array();
      for (std::size_t row = 0; row < slot.info.shape[0]; ++row)
        tensor.push_back(numbers_json(values.data() + row * slot.info.shape[1], slot.info.shape[1]));
    } else {
      tensor = numbers_json(values.data(), values.size());
    }
    weights[slot.layer][slot.info.key] = std::move(tensor);
  }
  return weights;
}

// Two-space indentation, except that an array or object holding no arrays or objects stays on one line: a
// 784 × 256 kernel takes 784 lines rather than 200,000, and each layer of the architecture one line.
void append_json(std::string& out, const ordered_json& value, const std::string& indent) {
  const bool is_flat =
      !value.is_structured() || value.empty() ||
      std::none_of(value.begin(), value.end(), [](const ordered_json& e) { return e.is_structured(); });
  if (is_flat) {
    out += value.dump();
    return;
  }
  const std::string inner = indent + "  ";
  out += value.is_object() ? "{\n" : "[\n";
  for (auto item = value.begin(); item != value.end(); ++item) {
    if (item != value.begin()) out += ",\n";
    out += inner;
    if (value.is_object()) out += ordered_json(item.key()).dump() + ": ";
    append_json(out, item.value(), inner);
  }
  out += "\n" + indent + (value.is_object() ? "}" : "]");
}

// ---------------------------------------------------------------------------------------------------------
// Reading. Problems are KeyPathErrors carrying the key path; read_model_file adds the file name.

std::string required_choice(ObjectReader& reader, std::string_view key, const std::vector<std::string_view>& choices) {
  reader.required(key);  // in a model file every key is written out: missing is an error, not a default
  return reader.choice_or(key, "", choices);
}

std::vector<std::string> required_string_list(ObjectReader& reader, std::string_view key) {
  reader.required(key);
  return reader.string_list_or(key, {});
}

const json& required_array(ObjectReader& reader, std::string_view key) {
  const json& value = reader.required(key);
  if (!value.is_array())
    throw KeyPathError(reader.path_of(key), fmt::format("expected an array, got {}", describe_value(value)));
  return value;
}

double read_number(const json& value, const std::string& path) {
  if (!value.is_number() || !std::isfinite(value.get<double>()))
    throw KeyPathError(path, fmt::format("expected a finite number, got {}", describe_value(value)));
  return value.get<double>();
}

float read_float(const json& value, const std::string& path) {
  const double number = read_number(value, path);
  if (std::fabs(number) > static_cast<double>(std::numeric_limits<float>::max()))
    throw KeyPathError(path, fmt::format("{} is beyond the float range", describe_value(value)));
  return static_cast<float>(number);
}

std::vector<double> read_numbers(const json& value, const std::string& path, std::size_t expected_length) {
  if (!value.is_array())
    throw KeyPathError(path, fmt::format("expected an array of numbers, got {}", describe_value(value)));
  if (value.size() != expected_length)
    throw KeyPathError(path,
                      fmt::format("expected {} numbers (one per feature), got {}", expected_length, value.size()));
  std::vector<double> numbers;
  for (std::size_t i = 0; i < value.size(); ++i)
    numbers.push_back(read_number(value[i], fmt::format("{}[{}]", path, i)));
  return numbers;
}

std::optional<data::Standardizer> read_scaler(const json& value, std::size_t inputs) {
  if (value.is_null()) return std::nullopt;
  ObjectReader reader(value, "scaler");
  data::Standardizer scaler;
  scaler.mean = read_numbers(reader.required("mean"), "scaler.mean", inputs);
  scaler.scale = read_numbers(reader.required("scale"), "scaler.scale", inputs);
  for (std::size_t j = 0; j < inputs; ++j)
    if (scaler.scale[j] <= 0.0)
      throw KeyPathError(fmt::format("scaler.scale[{}]", j), fmt::format("expected > 0, got {}", scaler.scale[j]));
  reader.finish();
  return scaler;
}

// A vector, or a matrix as an array of equally long rows.
StoredTensor read_tensor(const json& value, const std::string& path) {
  if (!value.is_array())
    throw KeyPathError(path, fmt::format("expected an array of numbers, got {}", describe_value(value)));
  StoredTensor tensor;
  if (value.empty() || !value.front().is_array()) {
    tensor.shape = {value.size()};
    for (std::size_t i = 0; i < value.size(); ++i)
      tensor.values.push_back(read_float(value[i], fmt::format("{}[{}]", path, i)));
    return tensor;
  }
  const std::size_t columns = value.front().size();
  tensor.shape = {value.size(), columns};
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& row = value[i];
    const std::string row_path = fmt::format("{}[{}]", path, i);
    if (!row.is_array())
      throw KeyPathError(row_path,
                        fmt::format("expected a row (an array of numbers), got {}", describe_value(row)));
    if (row.size() != columns)
      throw KeyPathError(row_path, fmt::format("has {} numbers but row 0 has {}", row.size(), columns));
    for (std::size_t j = 0; j < columns; ++j)
      tensor.values.push_back(read_float(row[j], fmt::format("{}[{}]", row_path, j)));
  }
  return tensor;
}

StoredWeights read_weights(const json& value) {
  ObjectReader weights_reader(value, "weights");
  StoredWeights weights;
  for (const auto& [layer, tensors] : value.items()) {
    const std::string layer_path = weights_reader.path_of(layer);
    ObjectReader layer_reader(tensors, layer_path);
    for (const auto& [key, tensor] : tensors.items())
      weights[layer][key] = read_tensor(tensor, layer_reader.path_of(key));
  }
  return weights;
}

// One of `values`, named in the file by name_of(value).
template <class Enum, std::size_t N, class NameOf>
Enum required_enum(ObjectReader& reader, std::string_view key, const std::array<Enum, N>& values, NameOf name_of) {
  std::vector<std::string_view> names;
  for (const Enum value : values) names.push_back(name_of(value));
  const std::string chosen = required_choice(reader, key, names);
  return values[static_cast<std::size_t>(std::find(names.begin(), names.end(), chosen) - names.begin())];
}

void read_document(const json& document, ModelFile& file) {
  ObjectReader reader(document, "");
  if (!reader.has("format")) throw KeyPathError("format", "missing: this is not a bnrun model file");
  const std::string format = reader.required_string("format");
  if (format != format_tag)
    throw KeyPathError("format",
                      fmt::format("expected \"{}\", got \"{}\": this is not a bnrun model file", format_tag, format));
  const std::int64_t version = reader.required_integer("format_version", 1);
  if (version > model_format_version)
    throw KeyPathError("format_version", fmt::format("{} is newer than this bnrun reads ({}); use a newer bnrun",
                                                    version, model_format_version));
  file.bnrun_version = reader.required_string("bnrun_version");

  ModelMetadata& metadata = file.metadata;
  metadata.arm = reader.required_string("variant");
  metadata.seed = static_cast<std::uint64_t>(reader.required_integer("seed", 0));
  metadata.loss = required_enum(
      reader, "loss",
      std::array{train::Loss::sparse_categorical_crossentropy, train::Loss::binary_crossentropy, train::Loss::mse,
                 train::Loss::mae, train::Loss::huber},
      train::loss_name);

  file.spec.inputs = static_cast<std::size_t>(reader.required_integer("inputs", 1, nn::max_layer_width));
  const json& layers = required_array(reader, "layers");
  if (layers.empty()) throw KeyPathError("layers", "expected at least one layer");
  for (std::size_t i = 0; i < layers.size(); ++i)
    file.spec.layers.push_back(nn::read_layer(layers[i], fmt::format("layers[{}]", i), nn::Defaults::refused));
  // Present exactly when a layer normalizes with batch statistics in inference: then it is part of the model.
  if (nn::uses_batch_statistics_in_inference(file.spec.layers))
    file.spec.evaluation_batch_size =
        static_cast<std::size_t>(reader.required_integer("evaluation_batch_size", 2, std::int64_t{1} << 40));

  metadata.feature_names = required_string_list(reader, "features");
  if (metadata.feature_names.size() != file.spec.inputs)
    throw KeyPathError("features",
                      fmt::format("{} names for {} inputs", metadata.feature_names.size(), file.spec.inputs));
  metadata.target = reader.required_string("target");
  if (reader.has("delimiter")) {
    const std::string delimiter = reader.required_string("delimiter");
    if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r")
      throw KeyPathError("delimiter", fmt::format("expected one character, got {}", nlohmann::json(delimiter).dump()));
    metadata.delimiter = delimiter[0];
  }
  metadata.class_names = required_string_list(reader, "classes");
  metadata.scaler = read_scaler(reader.required("scaler"), file.spec.inputs);
  if (train::is_regression(metadata.loss)) {
    ObjectReader target_scaler(reader.required("target_scaler"), "target_scaler");
    metadata.target_scaling.mean = target_scaler.number_or("mean", 0.0, {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(), false, false, "finite"});
    metadata.target_scaling.scale = target_scaler.number_or("scale", 1.0, positive());
    target_scaler.finish();
    if (metadata.loss == train::Loss::huber) metadata.huber_delta = reader.number_or("huber_delta", 1.0, positive());
  }
  file.tensors = read_weights(reader.required("weights"));
  reader.finish();
}

// The classes and the loss must fit the output layer, or predictions would index past the class names.
void check_output(const ModelFile& file, const nn::Model<float>& model) {
  const ModelMetadata& metadata = file.metadata;
  if (train::is_regression(metadata.loss)) {
    if (model.output_activation() != nn::Activation::linear || model.output_width() != 1)
      throw KeyPathError("loss", fmt::format("{} needs a linear output layer of one unit", train::loss_name(metadata.loss)));
    if (!metadata.class_names.empty())
      throw KeyPathError("classes", "a regression model has no classes: expected []");
    return;
  }
  if (metadata.loss == train::Loss::binary_crossentropy) {
    if (model.output_activation() != nn::Activation::sigmoid || model.output_width() != 1)
      throw KeyPathError("loss", "binary_crossentropy needs an output layer of one sigmoid unit");
    if (metadata.class_names.size() != 2)
      throw KeyPathError("classes",
                        fmt::format("a sigmoid output needs exactly 2 classes, got {}", metadata.class_names.size()));
    return;
  }
  if (model.output_activation() != nn::Activation::softmax)
    throw KeyPathError("loss", "sparse_categorical_crossentropy needs a softmax output layer");
  if (metadata.class_names.size() != model.output_width() || metadata.class_names.size() < 2)
    throw KeyPathError("classes", fmt::format("{} classes for an output layer of {} units", metadata.class_names.size(),
                                             model.output_width()));
}

// A model file holds every weight of its model, so a layer with a tensor of more numbers than the whole file stores
// cannot be complete. It is refused before the model is built, as building allocates every layer first: a 1 KB
// file with two dense layers of 1,000,000 units would otherwise ask for 4 TB.
void check_layers_fit_stored_weights(const ModelFile& file) {
  if (const auto problem = nn::find_width_problem(file.spec))
    throw KeyPathError(fmt::format("layers[{}].{}", problem->layer, problem->key), problem->message);
  std::size_t stored = 0;
  for (const auto& [layer, tensors] : file.tensors)
    for (const auto& [key, tensor] : tensors) stored += tensor.values.size();
  std::size_t width = file.spec.inputs;
  for (std::size_t i = 0; i < file.spec.layers.size(); ++i) {
    const nn::LayerSpec& layer = file.spec.layers[i];
    const std::size_t output_width = nn::output_width(layer, width);
    // Every width is at most nn::max_layer_width, so no tensor size overflows.
    for (const nn::TensorInfo& tensor : nn::layer_tensors(layer, width))
      if (tensor.size() > stored)
        throw KeyPathError(fmt::format("layers[{}]", i),
                          fmt::format("a {} layer of {} units on {} inputs needs {} {} weights, but the file "
                                      "stores only {} weights",
                                      nn::layer_type(layer), output_width, width, tensor.size(), tensor.key, stored));
    width = output_width;
  }
}

// Puts a stored tensor's values into the model, refusing what the tensor cannot hold (a negative variance).
void copy_into(const StoredTensor& stored, const TensorSlot& slot, const std::string& path) {
  if (slot.info.non_negative) {
    const auto negative = std::find_if(stored.values.begin(), stored.values.end(), [](float v) { return v < 0; });
    if (negative != stored.values.end())
      throw UserError(fmt::format("{}: weights.{}.{}[{}]: is {}, but a variance cannot be negative (the file is damaged "
                                  "or was edited)",
                                  path, slot.layer, slot.info.key, negative - stored.values.begin(), *negative));
  }
  std::copy(stored.values.begin(), stored.values.end(), slot.values->begin());
}

}  // namespace

void save_model(const std::string& path, const nn::ModelSpec& spec, nn::Model<float>& model,
                const ModelMetadata& metadata) {
  ordered_json layers = ordered_json::array();
  for (const auto& layer : spec.layers) layers.push_back(nn::layer_to_json(layer));
  ordered_json scaler = nullptr;
  if (metadata.scaler) scaler = {{"mean", metadata.scaler->mean}, {"scale", metadata.scaler->scale}};
  ordered_json document = {{"format", format_tag},
                           {"format_version", model_format_version},
                           {"bnrun_version", BNRUN_VERSION},
                           {"variant", metadata.arm},
                           {"seed", metadata.seed},
                           {"loss", train::loss_name(metadata.loss)},
                           {"inputs", spec.inputs},
                           {"layers", std::move(layers)}};
  if (spec.evaluation_batch_size > 0) document["evaluation_batch_size"] = spec.evaluation_batch_size;
  document["features"] = metadata.feature_names;
  document["target"] = metadata.target;
  document["delimiter"] = std::string(1, metadata.delimiter);
  document["classes"] = metadata.class_names;
  document["scaler"] = std::move(scaler);
  if (train::is_regression(metadata.loss)) {
    document["target_scaler"] = {{"mean", metadata.target_scaling.mean}, {"scale", metadata.target_scaling.scale}};
    if (metadata.loss == train::Loss::huber) document["huber_delta"] = metadata.huber_delta;
  }
  document["weights"] = weights_json(path, model);
  std::string text;
  try {
    append_json(text, document, "");
  } catch (const ordered_json::type_error&) {
    throw UserError(fmt::format("{}: cannot save the model: a feature, target or class name is not valid UTF-8", path));
  }
  text += '\n';
  write_file_atomically(path, text);
}

ModelFile read_model_file(const std::string& path) {
  const json document = parse_json_text(read_file(path, "model file"), path);
  ModelFile file;
  file.path = path;
  try {
    read_document(document, file);
    check_layers_fit_stored_weights(file);
    check_output(file, *build_model(file));
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", path, error.what()));
  }
  return file;
}

std::unique_ptr<nn::Model<float>> build_model(const ModelFile& file) {
  auto model = std::make_unique<nn::Model<float>>(file.spec, file.metadata.seed);
  const std::vector<TensorSlot> slots = model->tensors();
  for (const TensorSlot& slot : slots) {
    const StoredTensor* stored = find_tensor(file.tensors, slot.layer, slot.info.key);
    if (!stored)
      throw UserError(fmt::format("{}: weights.{}.{}: missing (expected shape {})", file.path, slot.layer, slot.info.key,
                                  shape_text(slot.info.shape)));
    if (stored->shape != slot.info.shape)
      throw UserError(fmt::format("{}: weights.{}.{}: expected shape {}, found {}", file.path, slot.layer, slot.info.key,
                                  shape_text(slot.info.shape), shape_text(stored->shape)));
    copy_into(*stored, slot, file.path);
  }
  std::set<std::string> layers_with_weights;
  std::set<std::pair<std::string, std::string>> known_tensors;
  for (const TensorSlot& slot : slots) {
    layers_with_weights.insert(slot.layer);
    known_tensors.insert({slot.layer, slot.info.key});
  }
  for (const auto& [layer, tensors] : file.tensors) {
    if (layers_with_weights.count(layer) == 0)
      throw UserError(
          fmt::format("{}: weights.{}: the architecture has no layer with weights of that name", file.path, layer));
    for (const auto& entry : tensors)
      if (known_tensors.count({layer, entry.first}) == 0)
        throw UserError(fmt::format("{}: weights.{}.{}: the architecture's {} has no such tensor", file.path, layer,
                                    entry.first, layer));
  }
  return model;
}

void initialize_from(const ModelFile& file, nn::Model<float>& model) {
  for (const TensorSlot& slot : model.tensors()) {
    const StoredTensor* stored = find_tensor(file.tensors, slot.layer, slot.info.key);
    if (!stored) {
      if (slot.info.neutral_default) continue;
      throw UserError(fmt::format("{}: weights.{}.{}: missing; the model being initialized needs it (shape {})",
                                  file.path, slot.layer, slot.info.key, shape_text(slot.info.shape)));
    }
    if (stored->shape != slot.info.shape)
      throw UserError(fmt::format("{}: weights.{}.{}: the model being initialized needs shape {}, the file has {}",
                                  file.path, slot.layer, slot.info.key, shape_text(slot.info.shape), shape_text(stored->shape)));
    copy_into(*stored, slot, file.path);
  }
}

void require_same_columns(const ModelFile& file, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names, const std::string& data_path) {
  const auto compare = [&](const std::vector<std::string>& model_names, const std::vector<std::string>& data_names,
                           std::string_view what, std::string_view one) {
    if (model_names == data_names) return;
    const auto first = std::mismatch(model_names.begin(), model_names.end(), data_names.begin(), data_names.end());
    const auto index = static_cast<std::size_t>(first.first - model_names.begin());
    const auto name_at = [](const std::vector<std::string>& names, std::size_t i) {
      return i < names.size() ? fmt::format("'{}'", names[i]) : std::string("none");
    };
    throw UserError(fmt::format(
        "{}: --init-from: the model was trained on other {} than {} has ({} {}: {} in the model, {} in the "
        "data); its weights would mean something else",
        file.path, what, data_path, one, index + 1, name_at(model_names, index), name_at(data_names, index)));
  };
  compare(file.metadata.feature_names, feature_names, "features", "feature");
  compare(file.metadata.class_names, class_names, "classes", "class");
}

}  // namespace bnrun::modelio
