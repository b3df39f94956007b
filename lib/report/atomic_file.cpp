#include "report/atomic_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace bnrun::report {

namespace {

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

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode)) {
    write_to_special_file(path, content);
    return;
  }
  const std::string temporary = fmt::format("{}.tmp.{}", path, ::getpid());
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

}  // namespace bnrun::report
