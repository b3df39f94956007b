#include "data/csv/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <system_error>

#include "core/resources.h"

namespace bnrun::data::csv {
namespace {

// The mappings in use, for the SIGBUS handler: it may read only lock-free atomics. A slot is free when its
// begin is 0. More files mapped at once than slots (-j studies map one each) are read instead.
struct MappingSlot {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> damaged{false};
};
constexpr int slot_count = 64;
MappingSlot slots[slot_count];
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

struct sigaction previous_sigbus {};

extern "C" void on_sigbus(int signal_number, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (auto& slot : slots) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin == 0 || address < begin || address >= slot.end.load(std::memory_order_acquire)) continue;
    // Past the file's new end: a page of zeros in its place (mmap is a plain system call on Linux, safe here).
    const std::uintptr_t page = address & ~static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE) - 1);
    void* const zeros = ::mmap(reinterpret_cast<void*>(page), static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)),
                               PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros != MAP_FAILED) {
      slot.damaged.store(true, std::memory_order_release);
      return;  // the faulting read runs again, on the zeros
    }
    break;
  }
  // Not one of ours: what would have happened without this handler.
  if (previous_sigbus.sa_flags & SA_SIGINFO) {
    if (previous_sigbus.sa_sigaction != nullptr) return previous_sigbus.sa_sigaction(signal_number, info, context);
  } else if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN &&
             previous_sigbus.sa_handler != nullptr) {
    return previous_sigbus.sa_handler(signal_number);
  }
  std::signal(SIGBUS, SIG_DFL);
  std::raise(SIGBUS);
}

void install_sigbus_handler() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_sigbus);
  });
}

// A free slot for [begin, begin + size), or -1 when all are taken.
int claim_slot(const void* begin, std::size_t size) {
  const auto start = reinterpret_cast<std::uintptr_t>(begin);
  for (int i = 0; i < slot_count; ++i) {
    std::uintptr_t expected = 0;
    if (slots[i].begin.compare_exchange_strong(expected, start, std::memory_order_acq_rel)) {
      slots[i].damaged.store(false, std::memory_order_relaxed);
      slots[i].end.store(start + size, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void release_slot(int slot) {
  if (slot < 0) return;
  slots[slot].end.store(0, std::memory_order_release);
  slots[slot].begin.store(0, std::memory_order_release);
}

long long nanoseconds(const struct timespec& time) {
  return static_cast<long long>(time.tv_sec) * 1'000'000'000LL + time.tv_nsec;
}

std::string error_text(int error_number) {
  return std::generic_category().message(error_number);
}

}  // namespace

FileContents::~FileContents() {
  release_slot(slot_);
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
  if (fd_ >= 0) ::close(fd_);
}

FileContents FileContents::load(const std::string& path, const Diagnostics& diagnostics, bool allow_special) {
  FileContents contents;
  struct stat before_open {};
  if (::stat(path.c_str(), &before_open) == 0 && !S_ISREG(before_open.st_mode) && !S_ISDIR(before_open.st_mode) &&
      !allow_special)
    diagnostics.fail_file(fmt::format(
        "is {}, not a regular file; bnrun reads data from regular files (to read it anyway, set "
        "dataset.allow_special_file, or pass --allow-special-file to predict and eval)",
        S_ISFIFO(before_open.st_mode)  ? "a FIFO (named pipe)"
        : S_ISCHR(before_open.st_mode) ? "a character device"
        : S_ISBLK(before_open.st_mode) ? "a block device"
        : S_ISSOCK(before_open.st_mode) ? "a socket"
                                        : "a special file"));
  contents.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (contents.fd_ < 0) diagnostics.fail_file("cannot open file: " + error_text(errno));
  struct stat status {};
  if (::fstat(contents.fd_, &status) != 0) diagnostics.fail_file("cannot open file: " + error_text(errno));
  contents.size_at_open_ = static_cast<long long>(status.st_size);
  contents.modified_at_open_ = nanoseconds(status.st_mtim);

  const bool regular = S_ISREG(status.st_mode);
  const auto size = static_cast<std::size_t>(status.st_size);
  if (!(regular && size > 0 && contents.try_map(contents.fd_, size))) {
    contents.read_all(contents.fd_, regular ? size : 0, diagnostics);
  }
  return contents;
}

bool FileContents::try_map(int fd, std::size_t size) {
  install_sigbus_handler();
  void* const mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) return false;
  slot_ = claim_slot(mapping, size);
  if (slot_ < 0) {
    ::munmap(mapping, size);
    return false;
  }
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
  const std::size_t stream_limit = size_hint > 0 ? 0 : available_memory_bytes() / 2;
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
    const bool first_block = size_ == 0;
    size_ += static_cast<std::size_t>(count);
    if (size_hint > 0) continue;
    // A stream of unknown length: binary garbage is refused at its first block, an endless text once it could
    // not fit (the parsed table needs about as much again).
    if (first_block) {
      if (const void* nul = std::memchr(buffer_.get(), '\0', size_))
        diagnostics.fail_file(fmt::format("NUL byte at offset {} of the stream (is it binary, or UTF-16 encoded?)",
                                          static_cast<const char*>(nul) - buffer_.get()));
    }
    if (stream_limit > 0 && size_ > stream_limit)
      diagnostics.fail_file(fmt::format("the stream holds more than {} MB, half the memory available, and has not "
                                        "ended; is it endless?",
                                        stream_limit / 1'000'000));
  }
}

void FileContents::release_pages(const char* begin, const char* end) const {
  if (mapping_ == nullptr || begin >= end) return;
  constexpr std::uintptr_t kLargestFolioBytes = std::uintptr_t{2} << 20;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto mapping_start = reinterpret_cast<std::uintptr_t>(mapping_);
  const auto from = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t first = from - std::min(from - mapping_start, kLargestFolioBytes);
  const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(end) & ~(page - 1);
  if (last > first)
    ::madvise(reinterpret_cast<void*>(first & ~(page - 1)), last - (first & ~(page - 1)), MADV_DONTNEED);
}

void FileContents::check_unchanged(const Diagnostics& diagnostics) const {
  const bool cut_short = slot_ >= 0 && slots[slot_].damaged.load(std::memory_order_acquire);
  struct stat status {};
  const bool stat_ok = fd_ >= 0 && ::fstat(fd_, &status) == 0;
  if (!cut_short && (!stat_ok || !S_ISREG(status.st_mode) ||
                     (status.st_size == size_at_open_ && nanoseconds(status.st_mtim) == modified_at_open_)))
    return;
  const std::string now = stat_ok ? fmt::format("{} bytes now, {} when opened", status.st_size, size_at_open_) : "";
  diagnostics.fail_file(fmt::format("changed while it was read ({}{}); read it again when nothing writes to it",
                                    cut_short ? "cut short under bnrun" : "rewritten", now.empty() ? "" : ": " + now));
}

}  // namespace bnrun::data::csv
