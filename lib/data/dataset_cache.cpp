#include "data/dataset_cache.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <cerrno>
#include <optional>
#include <shared_mutex>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace bnrun::data {

namespace {

// A regular data file as it was just before it was read: device, inode, size and modification time. A stat of
// the path that finds anything else means the file was written, cut, replaced or removed since.
struct FileSnapshot {
  std::string path;
  struct stat status {};
};

std::vector<std::string> paths_of(const DatasetConfig& dataset) {
  return dataset.has_separate_test_file() ? std::vector{dataset.train_path, dataset.test_path}
                                          : std::vector{dataset.path};
}

// Special files (allowed FIFOs, devices) are read once and have no contents to compare again, as the CSV reader's
// own check leaves them alone; a path that cannot be looked at now fails when it is read.
std::vector<FileSnapshot> snapshots_of(const DatasetConfig& dataset) {
  std::vector<FileSnapshot> snapshots;
  for (const std::string& path : paths_of(dataset)) {
    FileSnapshot snapshot{path};
    if (::stat(path.c_str(), &snapshot.status) == 0 && S_ISREG(snapshot.status.st_mode))
      snapshots.push_back(std::move(snapshot));
  }
  return snapshots;
}

// What is different about the file now, or nothing.
std::optional<std::string> change_since(const FileSnapshot& snapshot) {
  struct stat now {};
  if (::stat(snapshot.path.c_str(), &now) != 0)
    return fmt::format("it is gone: {}", std::generic_category().message(errno));
  const struct stat& then = snapshot.status;
  if (now.st_dev != then.st_dev || now.st_ino != then.st_ino) return "another file was put in its place";
  if (now.st_size != then.st_size) return fmt::format("{} bytes when read, {} now", then.st_size, now.st_size);
  if (now.st_mtim.tv_sec != then.st_mtim.tv_sec || now.st_mtim.tv_nsec != then.st_mtim.tv_nsec)
    return "rewritten since it was read";
  return std::nullopt;
}

}  // namespace

// One dataset's rows, read at most once, and its files as they were just before.
class DatasetCache::Shared {
 public:
  explicit Shared(DatasetConfig dataset) : dataset_(std::move(dataset)) {}

  // The rows, read first if no one has read them; the read's UserError (the same every time) if it failed. Stays
  // valid until take().
  const LoadedDataset& loaded(const kernels::Compute& compute, std::atomic<std::size_t>& datasets_read) {
    const std::lock_guard lock(load_mutex_);
    if (!loaded_ && !error_) {
      auto snapshots = snapshots_of(dataset_);
      ++datasets_read;
      try {
        loaded_ = load_dataset(dataset_, compute);
        snapshots_ = std::move(snapshots);
      } catch (const UserError& error) {
        error_ = error.what();
      }
    }
    if (error_) throw UserError(*error_);
    return *loaded_;
  }

  // Throws when a file was changed after the snapshot taken before it was read.
  void require_unchanged() const {
    for (const FileSnapshot& snapshot : snapshots_)
      if (const auto change = change_since(snapshot))
        throw UserError(fmt::format(
            "{}: changed while bnrun was using it ({}); a study's runs all train on the file as it was first read: "
            "restore it and --resume, or start again once nothing writes to it",
            snapshot.path, *change));
  }

  // The rows themselves, for the last run that uses them (which holds `use` alone).
  LoadedDataset take() {
    const std::lock_guard lock(load_mutex_);
    LoadedDataset rows = std::move(*loaded_);
    loaded_.reset();
    return rows;
  }

  // Held shared while rows are read or copied, and alone by the last run before it takes them over.
  std::shared_mutex use;

 private:
  const DatasetConfig dataset_;
  std::mutex load_mutex_;
  std::optional<LoadedDataset> loaded_;
  std::optional<std::string> error_;
  std::vector<FileSnapshot> snapshots_;  // written once, with loaded_, before anyone reads them
};

DatasetCache::DatasetCache(const kernels::Compute& reading) : reading_(reading) {}

DatasetCache::~DatasetCache() = default;

DatasetCache::Key DatasetCache::key_of(const DatasetConfig& dataset) {
  return {dataset.path,     dataset.train_path, dataset.test_path,         dataset.target,
          dataset.features, dataset.delimiter,  dataset.allow_special_file, dataset.numeric_target};
}

DatasetCache::SharedUse DatasetCache::share(const DatasetConfig& dataset) {
  const std::lock_guard lock(mutex_);
  Entry& entry = entries_[key_of(dataset)];
  if (!entry.shared) entry.shared = std::make_shared<Shared>(dataset);
  // Never waits: only the last expected run holds `use` alone, and it has taken its entry out of the map.
  return {entry.shared, std::shared_lock(entry.shared->use)};
}

void DatasetCache::expect_run(const DatasetConfig& dataset) {
  const std::lock_guard lock(mutex_);
  ++entries_[key_of(dataset)].expected_runs;
}

void DatasetCache::skip_run(const DatasetConfig& dataset) {
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(key_of(dataset));
  if (found != entries_.end() && --found->second.expected_runs <= 0) entries_.erase(found);
}

PreparedData DatasetCache::prepare(const DatasetConfig& dataset, std::uint64_t seed, bool keep_unscaled_test) {
  std::shared_ptr<Shared> shared;
  std::shared_lock<std::shared_mutex> copying;
  bool last = false;
  {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.try_emplace(key_of(dataset)).first;
    Entry& entry = found->second;
    if (!entry.shared) entry.shared = std::make_shared<Shared>(dataset);
    shared = entry.shared;
    last = entry.expected_runs <= 1;
    if (last) {
      entries_.erase(found);
    } else {
      --entry.expected_runs;
      copying = std::shared_lock(shared->use);
    }
  }
  if (!last) {
    const LoadedDataset& loaded = shared->loaded(reading_, datasets_read_);
    shared->require_unchanged();
    return prepare_data(loaded, dataset, seed, keep_unscaled_test);
  }
  // Out of the map, so no one new can share it: once the runs still copying are done, the rows are this run's.
  const std::unique_lock alone(shared->use);
  shared->loaded(reading_, datasets_read_);
  shared->require_unchanged();
  return prepare_data(shared->take(), dataset, seed, keep_unscaled_test);
}

DataColumns DatasetCache::columns(const DatasetConfig& dataset) {
  const SharedUse use = share(dataset);
  const LoadedDataset& loaded = use.shared->loaded(reading_, datasets_read_);
  return {loaded.feature_names, loaded.class_names};
}

std::vector<DataFile> DatasetCache::files(const DatasetConfig& dataset) {
  {
    const SharedUse use = share(dataset);
    try {
      return use.shared->loaded(reading_, datasets_read_).files;
    } catch (const UserError&) {
      // Contents that do not parse still have an identity to compare.
    }
  }
  return identify_data_files(dataset);
}

}  // namespace bnrun::data
