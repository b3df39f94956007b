#include "modelio/predict.h"

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>

#include "core/error.h"
#include "core/resources.h"
#include "core/csv_text.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "train/memory.h"

namespace bnrun::modelio {

namespace {

// As train::evaluate: the batch size can change a GEMM's summation order, so predictions use the same batches
// as the evaluation whose accuracy they must agree with (and a model that normalizes with batch statistics in
// inference takes its own evaluation batch size, nn::inference_batch_end).
constexpr std::size_t batch_rows = train::evaluation_batch_rows;

// Memory runs out only for a data file too large for the machine: an error about that file (exit 2), as in training.
template <typename Work>
auto naming_the_file_when_memory_runs_out(const std::string& csv_path, std::string_view what, Work&& work) {
  try {
    return work();
  } catch (const std::bad_alloc&) {
    throw UserError(fmt::format("{}: out of memory while {} its rows (available: {})", csv_path, what,
                                format_bytes(static_cast<double>(available_memory_bytes()))));
  }
}

// The model's feature columns, by name; the target column too when `with_target` (evaluation).
data::CsvTable read_model_columns(const kernels::Compute& compute, const ModelFile& file, const std::string& csv_path,
                                  bool with_target, const CsvReading& reading) {
  data::CsvOptions options;
  options.compute = compute;
  options.allow_special_file = reading.allow_special_file;
  options.delimiter = reading.delimiter;
  options.undetected_delimiter = file.metadata.delimiter;
  if (with_target) options.target_column = file.metadata.target;
  options.feature_columns = file.metadata.feature_names;
  return data::read_csv(csv_path, options);
}

// The table's features as the model's input: standardized by the same function, with the same numbers, as the
// training run's rows.
nn::Matrix<float> model_input(data::CsvTable&& table, const ModelFile& file) {
  nn::Matrix<float> features;
  features.rows = table.rows;
  features.cols = table.feature_names.size();
  features.values = std::move(table.features);
  if (file.metadata.scaler) data::standardize(features, *file.metadata.scaler);
  return features;
}

std::vector<std::int32_t> class_indices(const data::CsvTable& table, const std::vector<std::string>& class_names) {
  std::map<std::string, std::int32_t, std::less<>> index;
  for (std::size_t k = 0; k < class_names.size(); ++k) index[class_names[k]] = static_cast<std::int32_t>(k);
  // Each distinct label once, in order of first appearance: an unknown one is reported at its first row.
  std::vector<std::int32_t> class_of_code(table.target_values.size());
  for (std::uint32_t code = 0; code < table.target_values.size(); ++code) {
    const auto found = index.find(table.target_values[code]);
    if (found == index.end()) {
      const auto first_row = static_cast<std::size_t>(
          std::find(table.target_codes.begin(), table.target_codes.end(), code) - table.target_codes.begin());
      throw UserError(fmt::format("{}:{}: class \"{}\" of column '{}' is not one the model knows ({})", table.path,
                                  table.line(first_row), table.target_values[code], table.target_name,
                                  fmt::join(class_names, ", ")));
    }
    class_of_code[code] = found->second;
  }
  std::vector<std::int32_t> labels(table.rows);
  for (std::size_t i = 0; i < table.rows; ++i) labels[i] = class_of_code[table.target_codes[i]];
  return labels;
}

// The rule train::evaluate counts accuracy with: a positive logit for a sigmoid output, else the first largest.
std::int32_t predicted_class(const float* logits, std::size_t width) {
  if (width == 1) return logits[0] > 0.0f ? 1 : 0;
  std::size_t best = 0;
  for (std::size_t j = 1; j < width; ++j)
    if (logits[j] > logits[best]) best = j;
  return static_cast<std::int32_t>(best);
}

template <class T>
std::string shortest_text(T value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// How read_csv turns a cell into a float: the nearest double, rejected above the float range, then rounded.
bool reads_back_as(const std::string& text, float value) {
  double parsed = 0.0;
  std::from_chars(text.data(), text.data() + text.size(), parsed);
  return std::fabs(parsed) <= static_cast<double>(std::numeric_limits<float>::max()) &&
         std::bit_cast<std::uint32_t>(static_cast<float>(parsed)) == std::bit_cast<std::uint32_t>(value);
}

// The shortest float text usually reads back through a double unchanged, but not always: FLT_MAX prints as
// 3.4028235e+38, which as a double lies above FLT_MAX and is rejected. The float's exact double then does.
std::string feature_text(float value) {
  std::string text = shortest_text(value);
  return reads_back_as(text, value) ? text : shortest_text(static_cast<double>(value));
}

Predictions predict_rows(const kernels::Compute& compute, nn::Model<float>& model, const ModelFile& file,
                         const std::string& csv_path, const CsvReading& reading) {
  const nn::Matrix<float> features = model_input(read_model_columns(compute, file, csv_path, false, reading), file);
  Predictions result;
  result.class_names = file.metadata.class_names;
  const bool regression = train::is_regression(file.metadata.loss);
  if (regression) {
    result.values.resize(features.rows);
  } else {
    result.predicted.resize(features.rows);
    result.probabilities.reshape(features.rows, result.class_names.size());
  }
  nn::Matrix<float> batch;
  for (std::size_t start = 0, end = 0; start < features.rows; start = end) {
    end = nn::inference_batch_end(model.evaluation_batch_size(), start, features.rows, batch_rows);
    const std::size_t count = end - start;
    batch.reshape(count, features.cols);
    std::copy_n(features.row(start), count * features.cols, batch.data());
    nn::Matrix<float> outputs = model.forward(compute, batch, nn::Mode::inference);
    if (regression) {
      // As train::evaluate_split unscales them for the metrics: the same doubles.
      for (std::size_t i = 0; i < count; ++i)
        result.values[start + i] = file.metadata.target_scaling.unscaled(static_cast<double>(outputs(i, 0)));
      continue;
    }
    for (std::size_t i = 0; i < count; ++i) result.predicted[start + i] = predicted_class(outputs.row(i), outputs.cols);
    model.to_probabilities(compute, outputs);
    for (std::size_t i = 0; i < count; ++i) {
      float* probabilities = result.probabilities.row(start + i);
      if (outputs.cols == 1) {
        probabilities[0] = 1.0f - outputs(i, 0);
        probabilities[1] = outputs(i, 0);
      } else {
        std::copy_n(outputs.row(i), outputs.cols, probabilities);
      }
    }
  }
  return result;
}

}  // namespace

Predictions predict_csv(const kernels::Compute& compute, nn::Model<float>& model, const ModelFile& file,
                        const std::string& csv_path, const CsvReading& reading) {
  return naming_the_file_when_memory_runs_out(
      csv_path, "predicting", [&] { return predict_rows(compute, model, file, csv_path, reading); });
}

std::string predictions_csv(const Predictions& predictions) {
  std::string text = "row,predicted";
  if (predictions.class_names.empty()) {
    text += '\n';
    for (std::size_t i = 0; i < predictions.values.size(); ++i)
      text += fmt::format("{},{}\n", i + 1, shortest_text(predictions.values[i]));
    return text;
  }
  for (const auto& name : predictions.class_names) text += "," + csv_field("p_" + name);
  text += '\n';
  for (std::size_t i = 0; i < predictions.predicted.size(); ++i) {
    text += fmt::format("{},{}", i + 1,
                        csv_field(predictions.class_names[static_cast<std::size_t>(predictions.predicted[i])]));
    for (std::size_t k = 0; k < predictions.probabilities.cols; ++k)
      text += "," + shortest_text(predictions.probabilities(i, k));
    text += '\n';
  }
  return text;
}

CsvEvaluation evaluate_csv(const kernels::Compute& compute, nn::Model<float>& model, const ModelFile& file,
                           const std::string& csv_path, const CsvReading& reading) {
  return naming_the_file_when_memory_runs_out(csv_path, "evaluating", [&] {
    data::CsvTable table = read_model_columns(compute, file, csv_path, true, reading);
    if (table.rows == 0) throw UserError(fmt::format("{}: no data rows to evaluate", csv_path));
    data::Split split;
    train::Scoring scoring{file.metadata.loss, file.metadata.huber_delta, true, file.metadata.class_names,
                           file.metadata.target_scaling};
    if (train::is_regression(file.metadata.loss)) {
      split.targets = data::numeric_target_values(table);
      split.labels.assign(table.rows, 0);
      for (const double y : split.targets)
        split.scaled_targets.push_back(static_cast<float>(file.metadata.target_scaling.scaled(y)));
    } else {
      split.labels = class_indices(table, file.metadata.class_names);
    }
    split.features = model_input(std::move(table), file);
    return train::evaluate_split(compute, model, split, scoring);
  });
}

std::string split_csv(const std::vector<std::string>& feature_names, const std::string& target,
                      const std::vector<std::string>& class_names, const nn::Matrix<float>& features,
                      const std::vector<std::int32_t>& labels, const std::vector<double>& targets) {
  std::string text;
  for (const auto& name : feature_names) text += csv_field(name) + ",";
  text += csv_field(target) + "\n";
  for (std::size_t i = 0; i < features.rows; ++i) {
    for (std::size_t j = 0; j < features.cols; ++j) text += feature_text(features(i, j)) + ",";
    text += (targets.empty() ? csv_field(class_names[static_cast<std::size_t>(labels[i])]) : shortest_text(targets[i])) +
            "\n";
  }
  return text;
}

}  // namespace bnrun::modelio
