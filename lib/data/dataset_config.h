// Where a run's data comes from and how it is split and scaled: the "dataset" section of a config
// (config/config.h parses it; data/dataset.h acts on it).
#pragma once

#include <string>
#include <vector>

#include "data/csv.h"

namespace bnrun::data {

struct DatasetConfig {
  // Either one file split into train and test (`path`), or separate `train_path` and `test_path`.
  std::string path;
  std::string train_path;
  std::string test_path;
  std::string target;
  std::vector<std::string> features;  // empty: every column but the target
  char delimiter = detect_delimiter;  // found from the header and first rows unless the config gives one
  bool standardize = true;
  double test_fraction = 0.2;
  double validation_fraction = 0.0;
  bool stratify = false;
  bool shuffle = true;
  // Read a data path that is not a regular file (a FIFO, /dev/stdin, a device). Off: such a path is refused
  // before it is opened, so a FIFO without a writer or /dev/zero cannot hang bnrun or fill its memory.
  bool allow_special_file = false;

  bool has_separate_test_file() const { return !train_path.empty(); }
};

}  // namespace bnrun::data
