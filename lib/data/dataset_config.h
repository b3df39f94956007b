// Where a run's data comes from and how it is split and scaled: the "dataset" section of a config
// (config/config.h parses it; data/dataset.h acts on it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/csv.h"

namespace bnrun::data {

// How one file is split into training and test rows.
enum class SplitMethod {
  bnrun,    // bnrun's own seeded shuffle (stream "split" of the run's seed), test rows first (data/dataset.h)
  sklearn,  // exactly scikit-learn's train_test_split rows (data/sklearn_split.h)
};

// Which rows the standardization's mean and deviation are fit on.
enum class Standardize {
  none,
  training_rows,  // the training split only: nothing of the test or validation rows leaks into training
  all_rows,       // every row of the data, test rows included, as a notebook that scales before splitting: a leak,
                  // offered to reproduce such results
};

struct DatasetConfig {
  // Either one file split into train and test (`path`), or separate `train_path` and `test_path`.
  std::string path;
  std::string train_path;
  std::string test_path;
  std::string target;
  std::vector<std::string> features;  // empty: every column but the target
  char delimiter = detect_delimiter;  // found from the header and first rows unless the config gives one
  Standardize standardize = Standardize::training_rows;
  double test_fraction = 0.2;
  double validation_fraction = 0.0;
  bool stratify = false;
  bool shuffle = true;
  SplitMethod split_method = SplitMethod::bnrun;
  // The split's seed (scikit-learn's random_state): the same split for every run, so that seeds vary only the
  // initialization and the batch order; unset, each run splits with its own seed.
  std::optional<std::uint32_t> split_random_state;
  // Cross-validation (with `path` only): folds ≥ 2 deals the shuffled rows into that many folds (each class's rows
  // spread evenly over them when stratify_folds); a run tests on fold `fold` (1-based) and trains on the others.
  // A study plan makes one run per fold; folds = 0 is the usual single split by test_fraction.
  std::size_t folds = 0;
  std::size_t fold = 0;
  bool stratify_folds = true;
  // Regression (a regression training.loss): the target column holds numbers, not classes. standardize_target
  // scales it to mean 0 and deviation 1 on the training rows (as the features), so that the loss and learning rate
  // do not depend on its units; predictions are scaled back.
  bool numeric_target = false;
  bool standardize_target = true;
  // Read a data path that is not a regular file (a FIFO, /dev/stdin, a device). Off: such a path is refused
  // before it is opened, so a FIFO without a writer or /dev/zero cannot hang bnrun or fill its memory.
  bool allow_special_file = false;

  bool has_separate_test_file() const { return !train_path.empty(); }
  bool cross_validated() const { return folds > 0; }
};

}  // namespace bnrun::data
