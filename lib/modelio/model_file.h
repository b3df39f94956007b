// Saved models: one JSON file with everything needed to use a trained model again — its architecture, every
// weight, and how its input was prepared (feature columns, class names, the scaler fit on the training rows) —
// so a run's model can be reloaded to predict, to evaluate on new data, or to start another run from.
//
// Format "bnrun-model", format_version 1 (keys in this order):
//   format, format_version, bnrun_version, variant ("bn" | "no_bn"), seed, loss, inputs,
//   layers    one object per layer with every field written out, as the config's model.layers,
//   features, target, classes   the feature column names (in input order), the target column, class index → label,
//   scaler    null, or { mean: [...], scale: [...] } per feature (x − mean) / scale,
//   target_scaler   regression only (loss mse, mae, huber; "classes" is then []): { mean, scale } of the numeric
//             target, y = output·scale + mean; huber_delta with loss huber,
//   weights   { "dense_1": { kernel: [[...] one row per input], bias }, "batchnorm_1": { gamma, beta,
//               running_mean, running_variance }, ... } under the names nn::Model gives its layers; a tensor
//               the layer does not have (no bias, center/scale off) is not written.
// Every float is written as the double it widens to, in the shortest text that reads back as that double, so a
// weight read back is the same float bit for bit and a reloaded model computes exactly what the saved one did.
// Reading is strict, as configs are: unknown keys, wrong types, wrong lengths and non-finite numbers are errors.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/training_config.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "nn/spec.h"

namespace bnrun::modelio {

inline constexpr std::int64_t model_format_version = 1;

struct ModelMetadata {
  std::string arm = "bn";  // the arm that trained it (written as "variant", as before there were arms)
  std::uint64_t seed = 0;
  train::Loss loss = train::Loss::sparse_categorical_crossentropy;
  std::vector<std::string> feature_names;
  std::string target;
  std::vector<std::string> class_names;
  std::optional<data::Standardizer> scaler;  // absent when the run did not standardize
  // Regression: the target's scaling (predictions are output·scale + mean) and the Huber loss's δ.
  data::TargetScaling target_scaling = {};
  double huber_delta = 1.0;
  // The delimiter of the training data: predict and eval find a file's own from its header and rows, as training
  // does, and use this one when those do not tell (a file of one column) — unless given --delimiter. Model files
  // written before it was recorded: the comma.
  char delimiter = ',';
};

// One stored tensor: shape {n} for vectors, {inputs, units} for a Dense kernel; values row-major.
struct StoredTensor {
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

// layer name → tensor key ("kernel", "bias", "gamma", "beta", "running_mean", "running_variance") → tensor.
using StoredWeights = std::map<std::string, std::map<std::string, StoredTensor>>;

struct ModelFile {
  std::string path;  // where it was read from, for messages
  std::string bnrun_version;
  ModelMetadata metadata;
  nn::ModelSpec spec;
  StoredWeights tensors;
};

// Writes `model`, built from `spec`, atomically (write_file_atomically). Throws UserError naming the path
// and tensor when a weight is not finite (a diverged model cannot be written as JSON numbers).
void save_model(const std::string& path, const nn::ModelSpec& spec, nn::Model<float>& model,
                const ModelMetadata& metadata);

// Reads and checks a whole model file: syntax, format tag and version, every key, and that the weights fit the
// architecture and the classes fit the output layer. Every problem is a one-line UserError
// "<path>: <key path>: <what>".
ModelFile read_model_file(const std::string& path);

// The model the file describes (built with the file's seed) with every stored tensor loaded. Each tensor the
// model has must be stored with its exact shape, and every stored tensor must belong to the model.
std::unique_ptr<nn::Model<float>> build_model(const ModelFile& file);

// Starts `model` from the file's weights, matching layers by name (--init-from). Every Dense layer of `model`
// must find its kernel and bias with the same shapes; a BatchNorm layer takes whichever of gamma, beta and
// running statistics the file has for it and keeps its defaults otherwise. Stored layers the model does not have
// are ignored, so a bn file can start a no_bn model. A missing or misshapen tensor is a UserError naming the
// layer, the tensor, and the expected and found shapes.
void initialize_from(const ModelFile& file, nn::Model<float>& model);

// Refuses --init-from weights trained on other columns: the same shapes over other features (or classes in
// another order) would train, silently, from weights that mean something else. Names the first difference.
void require_same_columns(const ModelFile& file, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names, const std::string& data_path);

}  // namespace bnrun::modelio
