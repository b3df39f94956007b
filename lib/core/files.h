// Whole files in and out: the one place that opens files for configs, model files, results and outputs.
//
// Writes are all-or-nothing: written to a temporary name in the same folder, flushed, then renamed over the
// target (rename is atomic within a file system), so a crash or a full disk never leaves a truncated results
// file that a script could mistake for a finished run.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bnrun {

// The whole text file. `kind` names it in messages ("config file", "model file"); throws bnrun::UserError
// "<path>: is a directory, not a <kind>", "<path>: cannot open <kind>: <reason>", and, checked while it is
// read so that /dev/zero or an endless pipe stops early, for a NUL byte in its first 64 KB (binary, UTF-16) or
// more than `max_bytes`.
std::string read_file(const std::string& path, std::string_view kind,
                      std::size_t max_bytes = static_cast<std::size_t>(-1));

// The whole file, or nothing when it cannot be opened or is a directory (a file that may not exist yet).
std::optional<std::string> read_file_if_readable(const std::string& path);

// Throws bnrun::UserError naming the path when the file cannot be written. A path that names a device or a pipe
// (/dev/stdout, /dev/full, a FIFO) is written directly: there is no file to replace.
void write_file_atomically(const std::string& path, std::string_view content);

// Writes a set of files that stand on their own (a run folder, a study's summary files) and keeps going when one
// cannot be written (a full disk, a read-only folder): every file that can be written is, complete, and
// failures() says exactly which could not. A failure never removes a file written before it.
class IndependentWrites {
 public:
  // write_file_atomically(path, content); false, with the message recorded, when it throws UserError.
  bool write(const std::string& path, std::string_view content);
  // The same for a writer of its own (a model file, a folder to create) that throws UserError on failure.
  bool attempt(const std::function<void()>& write_one);
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::vector<std::string> failures_;
};

// Runs jobs that write files (a run's folder, say) on threads of its own, several at once, so that whoever hands
// them over does not wait for the disk. Writing a file safely ends in an fsync (write_file_atomically), which on
// the machines measured waits 3-4 ms for the device to flush its cache: no CPU, but on a training thread three of
// them per run folder took longer than training an iris run. Flushes asked for by several threads at once are
// served together (four writing threads: ~1 ms a file).
//
// At most `threads` jobs are queued or running: submit() waits for room, so what a killed process loses is
// bounded (the jobs in here, on top of whatever produced them). Jobs run in no set order; one that must follow
// another is part of the same job. A job must not throw: it records its own failures (IndependentWrites).
class BackgroundWriter {
 public:
  explicit BackgroundWriter(std::size_t threads);
  // finish(), then the threads end.
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  void submit(std::function<void()> job);
  // Returns when every job submitted so far has run.
  void finish();

 private:
  void work();

  const std::size_t limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queued_;
  std::size_t running_ = 0;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

// Whether `file_name` is one of write_file_atomically's temporaries ("<name>.tmp.<pid>"): what a writer killed
// mid-write leaves behind.
bool is_atomic_write_temporary(std::string_view file_name);

}  // namespace bnrun
