#include "core/files.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace bnrun {

namespace {

// write_file_atomically writes "<path>.tmp.<pid>" first.
constexpr std::string_view temporary_infix = ".tmp.";

// Writes straight into a device or pipe (-o /dev/stdout, /dev/full, a FIFO): renaming a temporary file over it
// would replace the device node itself.
void write_to_special_file(const std::string& path, std::string_view content) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw UserError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const int write_errno = errno;
  const bool flushed = written && std::fflush(file) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(file) == 0;
  const int close_errno = errno;
  if (!written || !flushed || !closed)
    throw UserError(fmt::format("{}: cannot write: {}", path,
                                std::strerror(!written   ? write_errno
                                              : !flushed ? flush_errno
                                                         : close_errno)));
}

std::optional<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

}  // namespace

std::string read_file(const std::string& path, std::string_view kind, std::size_t max_bytes) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw UserError(fmt::format("{}: is a directory, not a {}", path, kind));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UserError(fmt::format("{}: cannot open {}: {}", path, kind, std::strerror(errno)));
  std::string content;
  constexpr std::size_t block = 1 << 16;
  try {
    while (true) {
      const std::size_t before = content.size();
      content.resize(before + block);
      const ssize_t count = ::read(fd, content.data() + before, block);
      if (count < 0 && errno == EINTR) {
        content.resize(before);
        continue;
      }
      if (count < 0) throw UserError(fmt::format("{}: cannot read {}: {}", path, kind, std::strerror(errno)));
      content.resize(before + static_cast<std::size_t>(count));
      if (count == 0) break;
      if (before < block)
        if (const auto nul = content.find('\0'); nul != std::string::npos)
          throw UserError(fmt::format("{}: NUL byte at offset {}: not a text {} (is it binary, or UTF-16 encoded?)",
                                      path, nul, kind));
      if (content.size() > max_bytes)
        throw UserError(fmt::format("{}: more than {} bytes; a {} is at most {} MB", path, max_bytes, kind,
                                    max_bytes / 1'000'000));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return content;
}

std::optional<std::string> read_file_if_readable(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return std::nullopt;
  return read_whole(path);
}

bool is_atomic_write_temporary(std::string_view file_name) {
  const auto at = file_name.rfind(temporary_infix);
  if (at == std::string_view::npos || at + temporary_infix.size() == file_name.size()) return false;
  return file_name.find_first_not_of("0123456789", at + temporary_infix.size()) == std::string_view::npos;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode)) {
    write_to_special_file(path, content);
    return;
  }
  const std::string temporary = fmt::format("{}{}{}", path, temporary_infix, ::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (!file) throw UserError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const int write_errno = errno;
  const bool flushed = written && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !flushed || !closed) {
    std::remove(temporary.c_str());
    throw UserError(fmt::format("{}: cannot write: {}", path, std::strerror(!written ? write_errno : flush_errno)));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    std::remove(temporary.c_str());
    throw UserError(fmt::format("{}: cannot write: {}", path, std::strerror(rename_errno)));
  }
}

bool IndependentWrites::write(const std::string& path, std::string_view content) {
  return attempt([&] { write_file_atomically(path, content); });
}

bool IndependentWrites::attempt(const std::function<void()>& write_one) {
  try {
    write_one();
    return true;
  } catch (const UserError& error) {
    failures_.emplace_back(error.what());
    return false;
  }
}

BackgroundWriter::BackgroundWriter(std::size_t threads) : limit_(threads) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BackgroundWriter::~BackgroundWriter() {
  finish();
  {
    const std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void BackgroundWriter::submit(std::function<void()> job) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queued_.size() + running_ < limit_; });
  queued_.push_back(std::move(job));
  lock.unlock();
  changed_.notify_all();
}

void BackgroundWriter::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queued_.empty() && running_ == 0; });
}

void BackgroundWriter::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return closing_ || !queued_.empty(); });
    if (queued_.empty()) return;  // closing, with nothing left
    const std::function<void()> job = std::move(queued_.front());
    queued_.pop_front();
    ++running_;
    lock.unlock();
    job();
    lock.lock();
    --running_;
    changed_.notify_all();
  }
}

}  // namespace bnrun
