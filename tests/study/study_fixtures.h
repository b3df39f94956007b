// Shared by the study tests: a small iris config written to a temporary folder.
#pragma once

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

namespace bnrun::study::testing {

// A temporary folder removed at the end of the test, holding config.json for datasets/iris.csv.
class TemporaryStudy {
 public:
  explicit TemporaryStudy(const std::string& name, const std::string& extra_top_level_keys = "")
      : folder_(std::filesystem::temp_directory_path() / ("bnrun_test_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
    std::ofstream(config_path()) << R"({
  "dataset": {"path": ")" << BNRUN_SOURCE_DIR
                                 << R"(/datasets/iris.csv", "target": "species", "test_fraction": 0.2},
  "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 3, "activation": "softmax"}]},
  "training": {"epochs": 3, "batch_size": 16, "seed": 10})"
                                 << extra_top_level_keys << "\n}\n";
  }
  ~TemporaryStudy() { std::filesystem::remove_all(folder_); }
  TemporaryStudy(const TemporaryStudy&) = delete;
  TemporaryStudy& operator=(const TemporaryStudy&) = delete;

  std::string config_path() const { return (folder_ / "config.json").string(); }
  std::filesystem::path folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
};

}  // namespace bnrun::study::testing
