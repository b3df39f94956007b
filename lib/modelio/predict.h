// Using a saved model on a CSV file — predictions and evaluation — and the CSV texts going in and out.
//
// Rows are prepared exactly as the training run prepared its own: the model's feature columns are read by name
// with data::read_csv (in the model's order; other columns are ignored), standardized with the stored scaler by
// data::standardize, and run through the model in inference mode in the same 4096-row batches as
// train::evaluate. So the run's test rows, written by split_csv and evaluated with evaluate_csv, give the run's
// test loss and accuracy exactly, not approximately.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "modelio/model_file.h"
#include "nn/matrix.h"
#include "nn/model.h"
#include "train/trainer.h"

namespace bnrun::modelio {

// Classification: a class and its probabilities per row. Regression (class_names empty): a number per row.
struct Predictions {
  std::vector<std::string> class_names;
  std::vector<std::int32_t> predicted;  // class index per row, decided as train::evaluate decides accuracy
  nn::Matrix<float> probabilities;      // rows × classes; a sigmoid output p gives the two columns 1 − p, p
  std::vector<double> values;           // regression: output·scale + mean per row, in the target's units
  std::size_t rows() const { return class_names.empty() ? values.size() : predicted.size(); }
};

// How predict and eval read a CSV file.
struct CsvReading {
  // A path that is not a regular file (a FIFO, /dev/stdin) is read only when allowed (data::CsvOptions).
  bool allow_special_file = false;
  // --delimiter; data::detect_delimiter: found from the file's header and rows as in training, and the model's
  // (ModelMetadata::delimiter) when they do not tell.
  char delimiter = data::detect_delimiter;
};

// Reads the model's feature columns by name (other columns, the target included, are ignored). Throws
// UserError naming the file for a missing feature column or a malformed row.
Predictions predict_csv(const kernels::Compute& compute, nn::Model<float>& model, const ModelFile& file,
                        const std::string& csv_path, const CsvReading& reading = {});

// "row,predicted,p_<class>,..." then one line per row: the 1-based data row number, the predicted class name
// and each probability as the shortest text that reads back as the same float. Regression: "row,predicted" with
// the predicted number as the shortest text that reads back as the same double. Fields are quoted per RFC 4180
// when they hold a comma, a quote or a line break.
std::string predictions_csv(const Predictions& predictions);

// Inference-mode loss and accuracy on the file's rows, and the classification metrics in the model's class order
// or the regression metrics in the target's units, by train::evaluate_split with the model's loss: for the run's
// test rows, those of results.json. The target column is required; a label the model does not know, or a
// regression target that is no number, is a UserError naming the file and line.
using CsvEvaluation = train::SplitEvaluation;
CsvEvaluation evaluate_csv(const kernels::Compute& compute, nn::Model<float>& model, const ModelFile& file,
                           const std::string& csv_path, const CsvReading& reading = {});

// A split as CSV that read_csv reads back unchanged: a header of the feature names and the target, then per row
// each feature as the shortest text that read_csv turns into the same float, and the label's class name — or,
// when `targets` is not empty (regression), the target as the shortest text that reads back as the same double.
std::string split_csv(const std::vector<std::string>& feature_names, const std::string& target,
                      const std::vector<std::string>& class_names, const nn::Matrix<float>& features,
                      const std::vector<std::int32_t>& labels, const std::vector<double>& targets = {});

}  // namespace bnrun::modelio
