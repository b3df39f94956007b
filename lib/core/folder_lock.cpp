#include "core/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace bnrun {

namespace {

// The PID the holder wrote into the lock file, or "" if it wrote none (yet).
std::string holder_of(int fd) {
  char text[32] = {};
  // The holder writes its PID just after it takes the lock: a process that lost a race by microseconds waits a
  // little (up to 50 ms) for it rather than naming no one.
  ssize_t count = 0;
  for (int attempt = 0; attempt < 50 && (count = ::pread(fd, text, sizeof text - 1, 0)) == 0; ++attempt)
    ::usleep(1000);
  if (count <= 0) return "";
  std::string_view pid(text, static_cast<std::size_t>(count));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.remove_suffix(1);
  return pid.find_first_not_of("0123456789") == std::string_view::npos ? std::string(pid) : "";
}

}  // namespace

FolderLock FolderLock::acquire(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw UserError(fmt::format("{}: cannot create --output folder: {}", directory, error.message()));
  if (!std::filesystem::is_directory(directory, error))
    throw UserError(fmt::format("{}: --output exists and is not a folder", directory));
  const std::string path = (std::filesystem::path(directory) / lock_file_name).string();
  bool created = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0)
    throw UserError(fmt::format("{}: cannot lock the --output folder: {}", directory, std::strerror(errno)));
  FolderLock lock(fd, path, created);
  int result = 0;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    if (errno != EWOULDBLOCK)
      throw UserError(fmt::format("{}: cannot lock the --output folder: {}", directory, std::strerror(errno)));
    const std::string holder = holder_of(fd);
    throw FolderHeldError(fmt::format(
        "{}: another bnrun{} is writing to this folder; wait for it to finish or choose another --output", directory,
        holder.empty() ? "" : fmt::format(" (PID {})", holder)));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  // Only a hint for the message above: a failure to write it changes nothing about the lock.
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return lock;
}

void FolderLock::remove_if_created() {
  if (created_) ::unlink(path_.c_str());
  created_ = false;
}

FolderLock::FolderLock(FolderLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), created_(std::exchange(other.created_, false)) {}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace bnrun
