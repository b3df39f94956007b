// --overwrite without losing anything before the new results are ready.
//
// The new results are written to a staging folder inside the output folder (.bnrun-staging.<pid>); only when the
// session has results worth keeping does commit() move the old entries aside (.bnrun-replaced.<pid>), the new
// ones in, and delete the old. A session that ends before that (an error, a study in which no run finished, a
// crash before the swap) leaves the old results as they were. Every step is a rename inside one folder, so
// nothing is copied; a swap cut short by a crash is undone or finished by the next remove_leftovers (the
// journal is described in replacement.cpp).
// The caller holds the folder's lock (core/folder_lock.h) throughout, which is also what makes leftovers of
// other writers safe to delete: any staging folder or temporary file found then belongs to a dead process.
#pragma once

#include <optional>
#include <string>

#include "core/folder_lock.h"
#include "data/dataset_cache.h"
#include "study/plan.h"

namespace bnrun::study {

class StagedReplacement {
 public:
  // Starts replacing the results in `directory`; the new ones go to staging().
  explicit StagedReplacement(const std::string& directory);
  StagedReplacement(const StagedReplacement&) = delete;
  StagedReplacement& operator=(const StagedReplacement&) = delete;
  // Without commit(): removes the staging folder, keeping the old results.
  ~StagedReplacement();

  const std::string& staging() const { return staging_; }
  // The old results out, the new ones in. Throws UserError naming what could not be moved.
  void commit();

 private:
  std::string directory_;
  std::string staging_;
  bool committed_ = false;
};

// An --output folder opened for one session (or one claim's study): locked for as long as it lives, cleared of
// dead writers' leftovers, checked by prepare_output_folder (and check_resumable with `resume`, which reads the
// data files into `data`), and, when `overwrite` meets results, given a staging folder the new results go to until
// commit(). A folder refused by the checks is left as it was found (its lock file goes again if this made it).
// Throws UserError.
class OpenOutputFolder {
 public:
  OpenOutputFolder(const std::string& directory, const Plan& plan, bool overwrite, bool resume,
                   const std::string& init_from, data::DatasetCache& data);
  // Where the runs write: the folder itself, or the staging folder of a replacement.
  const std::string& write_to() const { return write_to_; }
  bool replacing() const { return replacement_.has_value(); }
  // Swaps the new results in when replacing; nothing otherwise.
  void commit() {
    if (replacement_) replacement_->commit();
  }

 private:
  FolderLock lock_;
  std::optional<StagedReplacement> replacement_;
  std::string write_to_;
};

// Deletes what dead writers left in `directory` (recursively): <file>.tmp.<pid> files of interrupted atomic
// writes and the staging and replaced folders of an interrupted --overwrite. Only with the folder's lock held. Run
// folders with a lock of their own are left to the runner, which cleans each under its own lock: a shard may be
// writing one at this moment.
void remove_leftovers(const std::string& directory);

// Refuses (UserError) a plan that would read a file inside `directory` that --overwrite replaces: its data files
// or the --init-from model, which the replacement would delete.
void check_inputs_outside(const Plan& plan, const std::string& init_from, const std::string& directory);

}  // namespace bnrun::study
