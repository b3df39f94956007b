// One writer per output folder: an exclusive flock(2) on <folder>/.bnrun.lock, held for as long as the
// FolderLock lives. A second bnrun on the same folder is refused with the holder's PID; the kernel drops the lock
// when its holder exits, however it ends (SIGKILL included), so a lock left by a dead process never blocks.
// The lock file itself is never deleted while bnrun runs: emptying a folder (--overwrite) keeps it, so a third
// process cannot lock a new file of the same name beside the held one.
#pragma once

#include <string>
#include <utility>

#include "core/error.h"

namespace bnrun {

inline constexpr const char* lock_file_name = ".bnrun.lock";

// The folder is another bnrun's: whoever gets this must leave the folder (and any folder above it that it
// thought it was creating: the holder created it too, or first) exactly as it is.
class FolderHeldError : public UserError {
 public:
  using UserError::UserError;
};

class FolderLock {
 public:
  // Creates `directory` (and its parents) if it does not exist, then takes the lock. Throws UserError naming the
  // folder: when another process holds it (with that process' PID), or when the folder cannot be created or
  // locked (with the reason).
  static FolderLock acquire(const std::string& directory);

  // Deletes the lock file if acquire() created it: for a folder bnrun then refuses to use, so it is left as found.
  void remove_if_created();

  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  ~FolderLock();

 private:
  FolderLock(int fd, std::string path, bool created) : fd_(fd), path_(std::move(path)), created_(created) {}
  int fd_ = -1;
  std::string path_;
  bool created_ = false;
};

}  // namespace bnrun
