// Getting a file into memory for the reader.
//
// A regular file is mapped, not read: that makes no copy, and the threads that parse it fault its pages in in
// parallel (read() copies into its buffer in one thread: 75 ms of the old 0.33 s for Fashion-MNIST, against
// ~4 ms of faults per thread). The mapping is private and read-only. As with any mapping, a file cut short by
// another process while it is read raises SIGBUS. Pipes, empty files and files whose size is unknown (procfs)
// are read into a buffer.
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
  static FileContents load(const std::string& path, const Diagnostics& diagnostics);

  FileContents(FileContents&& other) noexcept
      : mapping_(std::exchange(other.mapping_, nullptr)), buffer_(std::move(other.buffer_)), size_(other.size_) {}
  FileContents& operator=(FileContents&&) = delete;
  ~FileContents();

  std::string_view text() const {
    return {mapping_ != nullptr ? static_cast<const char*>(mapping_) : buffer_.get(), size_};
  }

 private:
  FileContents() = default;
  bool try_map(int fd, std::size_t size);
  void read_all(int fd, std::size_t size_hint, const Diagnostics& diagnostics);

  void* mapping_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::size_t size_ = 0;
};

}  // namespace bnrun::data::csv
