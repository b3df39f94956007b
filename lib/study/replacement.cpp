#include "study/replacement.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/folder_lock.h"
#include "study/outputs.h"
#include "study/runner.h"

namespace bnrun::study {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view staging_prefix = ".bnrun-staging.";
constexpr std::string_view replaced_prefix = ".bnrun-replaced.";

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

void move(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  if (error)
    throw UserError(fmt::format("{}: cannot move it to {}: {}", from.string(), to.string(), error.message()));
}

// The swap's journal: a file in the replaced folder once every old entry is out of the way, so that a swap cut
// short by a crash can be finished or undone by the next writer (remove_leftovers). The marker file .bnrun moves
// out first and in last, so "the marker is in the folder" means no swap is half done.
constexpr const char* old_entries_out = ".bnrun-old-entries-out";
constexpr const char* marker_name = marker_file;

std::vector<fs::path> entries_of(const fs::path& folder, const std::string& directory) {
  std::error_code error;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name != lock_file_name && !starts_with(name, staging_prefix) && !starts_with(name, replaced_prefix))
      entries.push_back(entry.path());
  }
  if (error) throw UserError(fmt::format("{}: cannot list the folder: {}", directory, error.message()));
  return entries;
}

// Moves `entries` into the folder `to`, the marker last (or, with `marker_first`, first).
void move_entries(const std::vector<fs::path>& entries, const fs::path& to, bool marker_first) {
  std::vector<fs::path> ordered = entries;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [&](const fs::path& path) { return (path.filename() == marker_name) == marker_first; });
  for (const auto& path : ordered) move(path, to / path.filename());
}

// A swap a dead writer left half done: before its journal entry, the old results are moved back; after it, the
// new ones are moved in.
void finish_interrupted_swap(const fs::path& folder, const std::string& directory) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (!starts_with(name, replaced_prefix)) continue;
    const fs::path replaced = entry.path();
    const fs::path staging = folder / (std::string(staging_prefix) + name.substr(replaced_prefix.size()));
    if (fs::exists(folder / marker_name, error)) continue;  // the swap finished (or never began): only litter
    if (fs::exists(replaced / old_entries_out, error)) {
      if (fs::exists(staging, error)) move_entries(entries_of(staging, directory), folder, false);
    } else {
      move_entries(entries_of(replaced, directory), folder, false);
    }
  }
}

}  // namespace

StagedReplacement::StagedReplacement(const std::string& directory)
    : directory_(directory), staging_((fs::path(directory) / fmt::format("{}{}", staging_prefix, ::getpid())).string()) {
  std::error_code error;
  fs::remove_all(staging_, error);
  fs::create_directory(staging_, error);
  if (error) throw UserError(fmt::format("{}: cannot create a folder for the new results: {}", directory, error.message()));
}

StagedReplacement::~StagedReplacement() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

void StagedReplacement::commit() {
  const fs::path folder(directory_);
  const fs::path replaced = folder / fmt::format("{}{}", replaced_prefix, ::getpid());
  std::error_code error;
  fs::create_directory(replaced, error);
  if (error) throw UserError(fmt::format("{}: cannot set the old results aside: {}", directory_, error.message()));
  move_entries(entries_of(folder, directory_), replaced, true);
  write_file_atomically((replaced / old_entries_out).string(), "");
  move_entries(entries_of(staging_, directory_), folder, false);
  committed_ = true;
  fs::remove_all(replaced, error);
  fs::remove(staging_, error);
}

OpenOutputFolder::OpenOutputFolder(const std::string& directory, const Plan& plan, bool overwrite, bool resume,
                                   const std::string& init_from, data::DatasetCache& data)
    : lock_(FolderLock::acquire(directory)), write_to_(directory) {
  try {
    remove_leftovers(directory);
    if (resume) check_resumable(plan, directory, data);
    if (prepare_output_folder(directory, overwrite, resume) && overwrite) {
      check_inputs_outside(plan, init_from, directory);
      replacement_.emplace(directory);
      write_to_ = replacement_->staging();
      prepare_output_folder(write_to_, false, false);
    }
  } catch (...) {
    lock_.remove_if_created();
    throw;
  }
}

void remove_leftovers(const std::string& directory) {
  finish_interrupted_swap(fs::path(directory), directory);
  std::error_code error;
  std::vector<fs::path> leftovers;
  for (auto it = fs::recursive_directory_iterator(directory, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    const bool folder = it->is_directory(error);
    if (folder && (starts_with(name, staging_prefix) || starts_with(name, replaced_prefix))) {
      leftovers.push_back(it->path());
      it.disable_recursion_pending();
    } else if (folder && it.depth() == 0 && fs::exists(it->path() / lock_file_name, error)) {
      // A run folder with a lock of its own: a shard may be writing it right now, and the runner removes its
      // leftovers when it locks the folder (study/runner.h, lock_runs).
      it.disable_recursion_pending();
    } else if (!folder && is_atomic_write_temporary(name)) {
      leftovers.push_back(it->path());
    }
  }
  for (const auto& path : leftovers) fs::remove_all(path, error);
}

void check_inputs_outside(const Plan& plan, const std::string& init_from, const std::string& directory) {
  std::error_code error;
  const fs::path folder = fs::weakly_canonical(fs::absolute(directory, error), error);
  const auto inside = [&](const std::string& path) {
    if (path.empty()) return false;
    const fs::path file = fs::weakly_canonical(fs::absolute(path, error), error);
    const auto relative = file.lexically_relative(folder);
    return !relative.empty() && *relative.begin() != ".." && relative != ".";
  };
  const auto refuse = [&](const std::string& path, std::string_view what) {
    throw UserError(fmt::format(
        "{}: the {} is inside the --output folder {}, whose contents --overwrite replaces; move it out first or "
        "write to another --output",
        path, what, directory));
  };
  if (inside(init_from)) refuse(init_from, "--init-from model");
  for (const auto& run : plan.runs) {
    const auto& dataset = run.config.dataset;
    for (const std::string* path : {&dataset.path, &dataset.train_path, &dataset.test_path})
      if (inside(*path)) refuse(*path, "data file");
  }
}

}  // namespace bnrun::study
