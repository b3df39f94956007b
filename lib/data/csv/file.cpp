#include "data/csv/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace bnrun::data::csv {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string error_text(int error_number) {
  return std::generic_category().message(error_number);
}

}  // namespace

FileContents::~FileContents() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

FileContents FileContents::load(const std::string& path, const Diagnostics& diagnostics) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) diagnostics.fail_file("cannot open file: " + error_text(errno));
  const FileDescriptor file(fd);
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) diagnostics.fail_file("cannot open file: " + error_text(errno));

  FileContents contents;
  const bool regular = S_ISREG(status.st_mode);
  const auto size = static_cast<std::size_t>(status.st_size);
  if (!(regular && size > 0 && contents.try_map(file.get(), size))) {
    contents.read_all(file.get(), regular ? size : 0, diagnostics);
  }
  return contents;
}

bool FileContents::try_map(int fd, std::size_t size) {
  void* const mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) return false;
  // Only advice: read all of it ahead now if it is not cached, as the threads go through it from several places
  // at once. (MADV_SEQUENTIAL and MAP_POPULATE measured no faster for a cached file.)
  ::madvise(mapping, size, MADV_WILLNEED);
  mapping_ = mapping;
  size_ = size;
  return true;
}

// One read() when the size is known (one byte spare so EOF needs no regrowth); otherwise the buffer grows as
// it fills.
void FileContents::read_all(int fd, std::size_t size_hint, const Diagnostics& diagnostics) {
  std::size_t capacity = size_hint > 0 ? size_hint + 1 : 1 << 16;
  buffer_ = std::make_unique_for_overwrite<char[]>(capacity);
  size_ = 0;
  while (true) {
    if (size_ == capacity) {
      capacity *= 2;
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(grown.get(), buffer_.get(), size_);
      buffer_ = std::move(grown);
    }
    const ssize_t count = ::read(fd, buffer_.get() + size_, capacity - size_);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) diagnostics.fail_file("cannot read file: " + error_text(errno));
    if (count == 0) return;
    size_ += static_cast<std::size_t>(count);
  }
}

}  // namespace bnrun::data::csv
