// Getting a file into memory for the reader.
//
// A regular file is mapped, not read: that makes no copy, and the threads that parse it fault its pages in in
// parallel (read() copies into its buffer in one thread: 75 ms of the old 0.33 s for Fashion-MNIST, against
// ~4 ms of faults per thread). The mapping is private and read-only. Pipes, empty files and files whose size is
// unknown (procfs) are read into a buffer.
//
// A mapped file that another process cuts short while it is read would raise SIGBUS on the first page past its
// new end. bnrun's SIGBUS handler knows the mappings in use: for a fault inside one, it puts a page of zeros in
// the missing page's place and marks the contents as damaged, so the parse runs on to an end (on NULs it reports
// an error, or reads a shorter table), and check_unchanged() then replaces whatever the parse found by one clear
// error. A fault anywhere else is not ours and ends the process as before. check_unchanged() also catches a file
// rewritten in place (its size or modification time moved while it was read).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "data/csv/messages.h"

namespace bnrun::data::csv {

class FileContents {
 public:
  // The whole file; "cannot open file: ..." or "cannot read file: ..." through `diagnostics` if it cannot be had.
  // A path that is not a regular file is refused before it is opened (a FIFO's open would wait for a writer)
  // unless `allow_special` is set; then it is read as a stream, which stops early at a NUL byte in its first
  // block (binary: /dev/zero) and once it holds more than half the memory available.
  static FileContents load(const std::string& path, const Diagnostics& diagnostics, bool allow_special = false);

  FileContents(FileContents&& other) noexcept
      : mapping_(std::exchange(other.mapping_, nullptr)),
        buffer_(std::move(other.buffer_)),
        size_(other.size_),
        fd_(std::exchange(other.fd_, -1)),
        slot_(std::exchange(other.slot_, -1)),
        size_at_open_(other.size_at_open_),
        modified_at_open_(other.modified_at_open_) {}
  FileContents& operator=(FileContents&&) = delete;
  ~FileContents();

  FileContents(const FileContents&) = delete;

  // Throws "<path>: changed while it was read ..." through `diagnostics` if the file was cut short under the
  // mapping, or its size or modification time changed since it was opened.
  void check_unchanged(const Diagnostics& diagnostics) const;

  std::string_view text() const {
    return {mapping_ != nullptr ? static_cast<const char*>(mapping_) : buffer_.get(), size_};
  }

  // A mapped file's pages count in the process's RSS once touched: a reader gives back those of the text it is
  // done with, [begin, end) within text(), and everything before it too. They are read again from the page cache
  // if touched again, so this only costs time. A fault maps its neighbours too (fault-around: 64 KB; for a file
  // written in large blocks, a whole folio of up to 2 MB), and some of those may lie before `begin`, given back
  // already; so the 2 MB before `begin` go again. The page `end` lies in is kept for the text after it. Text read
  // into a buffer is left as it is.
  void release_pages(const char* begin, const char* end) const;

 private:
  FileContents() = default;
  bool try_map(int fd, std::size_t size);
  void read_all(int fd, std::size_t size_hint, const Diagnostics& diagnostics);

  void* mapping_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::size_t size_ = 0;
  int fd_ = -1;     // kept open until the contents go, for check_unchanged
  int slot_ = -1;   // the mapping's entry in the SIGBUS handler's table
  long long size_at_open_ = 0;
  long long modified_at_open_ = 0;  // st_mtim in nanoseconds
};

}  // namespace bnrun::data::csv
