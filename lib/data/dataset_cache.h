// A study's data, read once and shared by its runs.
//
// Runs whose "dataset" sections name the same files and columns (path or train/test paths, target, features,
// delimiter, allow_special_file) share one read: the first run that needs it reads, hashes and parses the files
// and encodes their labels (load_dataset) while the others wait; every run then splits and scales its own copy of
// the rows (prepare_data), since the shuffle, the split and the standardization depend on its seed and fractions.
// A run's data is bit for bit what prepare_data gives it on its own. A read that fails fails every run that shares
// it with the same message, without reading the files again.
//
// Lifetime: the caller says how many runs will prepare data from each dataset (expect_run) and which of those
// will not after all (skip_run). The last expected run takes the rows over instead of copying them, and the cache
// lets go of them then: a study holds each distinct dataset once, plus the copies of the runs in flight, and a
// single run holds its data once, as prepare_data does.
//
// A data file that changes while a study is under way is not read again: a run that starts after the change fails
// with "<path>: changed while bnrun was using it (...)", so a study never mixes runs trained on different contents
// under one path. (A file changed while it is read is the CSV reader's "changed while it was read".)
//
// Thread-safe: runs trained at once (-j) call it from their own threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/dataset_config.h"
#include "kernels/parallel.h"

namespace bnrun::data {

class DatasetCache {
 public:
  // `reading`: the CSV reader's thread budget. The runs that need a dataset wait while one reads it, so the read
  // gets the whole budget.
  explicit DatasetCache(const kernels::Compute& reading = {});
  ~DatasetCache();
  DatasetCache(const DatasetCache&) = delete;
  DatasetCache& operator=(const DatasetCache&) = delete;

  // One more run will call prepare() for `dataset`.
  void expect_run(const DatasetConfig& dataset);
  // A run counted by expect_run that will not call prepare() after all (it was resumed, or never started).
  void skip_run(const DatasetConfig& dataset);

  // prepare_data(dataset, seed, {keep_unscaled_test}) from the shared rows, reading the files if no run has yet.
  // Throws prepare_data's UserError, or the one above when a file changed since it was read.
  PreparedData prepare(const DatasetConfig& dataset, std::uint64_t seed, bool keep_unscaled_test);

  // The feature and class names of `dataset`, for the checks a study makes before its runs; reads the files (for
  // the runs to share) if they have not been read. Throws what prepare() would for a file that cannot be read.
  DataColumns columns(const DatasetConfig& dataset);

  // `dataset`'s files as the runs read them (size and hash of the contents parsed), for --resume to compare with
  // what finished runs read. When the files cannot be parsed, they are read and hashed as identify_data_files
  // does; throws UserError for a file that cannot be opened.
  std::vector<DataFile> files(const DatasetConfig& dataset);

  // How many datasets (one file, or a train and a test file) this cache has read, successfully or not: each
  // distinct one once.
  std::size_t datasets_read() const { return datasets_read_.load(); }

 private:
  class Shared;
  struct Key {
    std::string path, train_path, test_path, target;
    std::vector<std::string> features;
    char delimiter = ',';
    bool allow_special_file = false;
    bool numeric_target = false;  // the same column read as numbers (regression) or as classes
    auto operator<=>(const Key&) const = default;
  };
  struct Entry {
    std::shared_ptr<Shared> shared;
    std::ptrdiff_t expected_runs = 0;
  };
  // A dataset's rows, held for reading (declared in this order, the lock goes first).
  struct SharedUse {
    std::shared_ptr<Shared> shared;
    std::shared_lock<std::shared_mutex> reading;
  };
  static Key key_of(const DatasetConfig& dataset);
  // The entry for `dataset` (made if there is none), without counting a run.
  SharedUse share(const DatasetConfig& dataset);

  kernels::Compute reading_;
  std::mutex mutex_;  // guards entries_
  std::map<Key, Entry> entries_;
  std::atomic<std::size_t> datasets_read_{0};
};

}  // namespace bnrun::data
