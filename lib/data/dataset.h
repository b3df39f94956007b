// From CSV files to the three matrices a run trains, validates and tests on.
//
// Labels: the target column's distinct values, sorted (numerically when every label is an integer, else as
// text), become class indices 0..k−1; the mapping is reported. Splits (one seed, stream "split"):
//   one file:   shuffle (unless dataset.shuffle is false), then the first ceil(test_fraction·n) rows are the
//               test set (per class in proportion when stratified), as scikit-learn's train_test_split;
//   two files:  the test file is the test set, in file order; the train file is shuffled the same way.
//   validation: the LAST fraction of the training part, as Keras' validation_split (size n − ⌊n·(1 − f)⌋).
// Standardization is fit on the training rows only (not validation, not test) and applied to all three; a
// constant feature gets scale 1, as scikit-learn's StandardScaler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/content_identity.h"
#include "data/dataset_config.h"
#include "kernels/parallel.h"
#include "nn/matrix.h"

namespace bnrun::data {

struct Split {
  nn::Matrix<float> features;
  std::vector<std::int32_t> labels;
  std::size_t rows() const { return labels.size(); }
};

struct Standardizer {
  std::vector<double> mean;
  std::vector<double> scale;  // divide by this (the standard deviation, or 1 for a constant feature)
};

// A file a run read, as it was when read.
struct DataFile {
  std::string path;
  ContentIdentity identity;
};

struct PreparedData {
  std::vector<DataFile> files;  // dataset.path, or train_path then test_path
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;  // class index → label text
  Split train;
  Split validation;  // may be empty
  Split test;
  Standardizer standardizer;  // empty when dataset.standardize is false
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

// What every run over `dataset` shares, whatever its seed: the files parse, the classes are found, a test file's
// columns and classes agree with the training file's. A study checks this once, before it makes its folder, so
// that bad data is one error up front rather than the same failure in every run.
struct DataColumns {
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;
};
DataColumns read_data_columns(const DatasetConfig& dataset, const kernels::Compute& compute = {});

// The files `dataset` names as they are now (read whole and hashed, not parsed): what prepare_data would record.
// Throws UserError for a file that cannot be read.
std::vector<DataFile> identify_data_files(const DatasetConfig& dataset);

// x ← (x − mean) / scale per column, in double, rounded once to float. Training and every later use of a saved
// model (predict, eval) go through this one function, so the same rows always give the same floats.
void standardize(nn::Matrix<float>& features, const Standardizer& standardizer);

}  // namespace bnrun::data
