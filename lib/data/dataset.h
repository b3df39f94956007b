// From CSV files to the three matrices a run trains, validates and tests on.
//
// Labels: the target column's distinct values, sorted (numerically when every label is an integer, else as
// text), become class indices 0..k−1; the mapping is reported. Splits (one seed, stream "split"):
//   one file:   shuffle (unless dataset.shuffle is false), then the first ceil(test_fraction·n) rows are the
//               test set (per class in proportion when stratified), as scikit-learn's train_test_split; or, with
//               dataset.split.method "sklearn", exactly the rows train_test_split chooses (data/sklearn_split.h);
//   two files:  the test file is the test set, in file order; the train file is shuffled the same way.
//   validation: the LAST fraction of the training part, as Keras' validation_split (size n − ⌊n·(1 − f)⌋).
// Standardization is fit on the training rows only (not validation, not test) and applied to all three — or,
// with dataset.standardize "all_rows", on every row, as a notebook that scales before it splits; a constant
// feature gets scale 1, as scikit-learn's StandardScaler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "core/content_identity.h"
#include "data/dataset_config.h"
#include "kernels/parallel.h"
#include "nn/matrix.h"

namespace bnrun::data {

// labels: class indices; for a numeric target (regression) every label is 0 and the target is in `targets` (as
// read, in its own units) and `scaled_targets` (what the network fits: standardized when asked, as float).
struct Split {
  nn::Matrix<float> features;
  std::vector<std::int32_t> labels;
  std::vector<double> targets;
  std::vector<float> scaled_targets;
  std::size_t rows() const { return labels.size(); }
};

// A numeric target's standardization: scaled = (y − mean) / scale; mean 0 and scale 1 when not standardized.
struct TargetScaling {
  double mean = 0.0;
  double scale = 1.0;
  double scaled(double value) const { return (value - mean) / scale; }
  double unscaled(double value) const { return value * scale + mean; }
};

struct Standardizer {
  std::vector<double> mean;
  std::vector<double> scale;  // divide by this (the standard deviation, or 1 for a constant feature)
};

// A file a run read, as it was when read.
struct DataFile {
  std::string path;
  ContentIdentity identity;

  bool operator==(const DataFile&) const = default;
};

struct PreparedData {
  std::vector<DataFile> files;  // dataset.path, or train_path then test_path
  char delimiter = ',';         // the one the files' cells were split on (given, or found)
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;  // class index → label text; empty for a numeric target
  bool numeric_target = false;           // regression: the splits' targets, not their labels, are what is fit
  TargetScaling target_scaling;          // a numeric target's standardization (fit on the training rows)
  Split train;
  Split validation;  // may be empty
  Split test;
  Standardizer standardizer;  // empty when dataset.standardize is false (Standardize::none)
  // The test rows as read, before standardization (same order as test.features); empty unless asked for.
  nn::Matrix<float> unscaled_test_features;
};

struct PrepareOptions {
  // Keep the test features as read, so the test split can be written out and evaluated again from a file
  // (standardizing them then gives test.features bit for bit).
  bool keep_unscaled_test = false;
  // The thread budget of the CSV reader.
  kernels::Compute compute = {};
};

PreparedData prepare_data(const DatasetConfig& dataset, std::uint64_t seed, const PrepareOptions& options = {});

// Rows of one file with their labels encoded (the cell texts are gone once encoded).
struct LabelledRows {
  std::string path;  // as given, for messages
  std::size_t rows = 0;
  AlignedVector<float> features;  // rows × the dataset's feature count, row-major
  std::vector<std::int32_t> labels;
  std::vector<double> targets;  // a numeric target's values (then every label is 0); empty otherwise
};

// What every run over the same files and columns has in common, whatever its seed and however it splits and
// scales: the files read and hashed, parsed, their classes found and their labels encoded. A study reads this once
// and splits it for each run (data/dataset_cache.h).
struct LoadedDataset {
  std::vector<DataFile> files;  // dataset.path, or train_path then test_path
  char delimiter = ',';         // the one the files' cells were split on (given, or found)
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;   // class index → label text, from the (training) file; empty for a
                                          // numeric target
  bool numeric_target = false;
  LabelledRows rows;                      // dataset.path, or train_path
  std::optional<LabelledRows> test_rows;  // test_path's, when the dataset has a separate test file
};

// Reads `dataset`'s files with the CSV reader's thread budget `compute`. Throws UserError, with the message
// prepare_data would give, for files that cannot be read or parsed, a target with one class, or a test file whose
// columns or classes do not match the training file's.
LoadedDataset load_dataset(const DatasetConfig& dataset, const kernels::Compute& compute = {});

// prepare_data's split and scaling for `seed`, from rows already loaded (`dataset` must name the files and
// columns `loaded` was read with; its fractions, stratify, shuffle and standardize may differ). The first copies
// the rows it needs and leaves `loaded` as it was, for other runs; the second takes the rows over and splits them
// in place, so that the data is never held twice. Both give prepare_data's result bit for bit.
PreparedData prepare_data(const LoadedDataset& loaded, const DatasetConfig& dataset, std::uint64_t seed,
                          bool keep_unscaled_test = false);
PreparedData prepare_data(LoadedDataset&& loaded, const DatasetConfig& dataset, std::uint64_t seed,
                          bool keep_unscaled_test = false);

// The feature and class names a dataset's runs all share: what a study checks once, before it makes its folder,
// so that bad data is one error up front rather than the same failure in every run.
struct DataColumns {
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;
};

// The files `dataset` names as they are now (read whole and hashed, not parsed): what prepare_data would record.
// Throws UserError for a file that cannot be read.
std::vector<DataFile> identify_data_files(const DatasetConfig& dataset);

// A numeric target's value on each row of `table` (its target column), for regression. Throws UserError naming the
// file and line of the first cell that is not a finite number.
std::vector<double> numeric_target_values(const CsvTable& table);

// x ← (x − mean) / scale per column, in double, rounded once to float. Training and every later use of a saved
// model (predict, eval) go through this one function, so the same rows always give the same floats.
void standardize(nn::Matrix<float>& features, const Standardizer& standardizer);

}  // namespace bnrun::data
