// What a file held, in a few bytes: its size and a 64-bit hash of its contents (XXH3, from Debian's libxxhash:
// about 10 GB/s on one core, so identifying a data set costs milliseconds next to parsing it). A run records the
// identity of the data it read; --resume compares it with the file as it is now, so a study never mixes runs
// trained on different contents under one path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bnrun {

struct ContentIdentity {
  std::uint64_t bytes = 0;
  std::string hash;  // XXH3-64 as 16 lowercase hex digits

  bool operator==(const ContentIdentity&) const = default;
};

ContentIdentity identify_content(std::string_view contents);

// The same identity, taken piece by piece: for contents read in blocks, or by a reader that gives each block's
// memory back once it has been hashed.
class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void add(std::string_view piece);
  ContentIdentity identity() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t bytes_ = 0;
};

// "1234567 bytes, xxh3 0123456789abcdef": for messages.
std::string describe(const ContentIdentity& identity);

}  // namespace bnrun
