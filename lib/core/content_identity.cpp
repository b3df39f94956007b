#include "core/content_identity.h"

#include <fmt/format.h>

// Header-only use of xxHash: no library to link, and the hash inlines into the one function below.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace bnrun {

ContentIdentity identify_content(std::string_view contents) {
  return {contents.size(), fmt::format("{:016x}", XXH3_64bits(contents.data(), contents.size()))};
}

struct ContentHasher::State {
  XXH3_state_t xxh3;
};

ContentHasher::ContentHasher() : state_(std::make_unique<State>()) {
  XXH3_64bits_reset(&state_->xxh3);
}

ContentHasher::~ContentHasher() = default;

void ContentHasher::add(std::string_view piece) {
  XXH3_64bits_update(&state_->xxh3, piece.data(), piece.size());
  bytes_ += piece.size();
}

ContentIdentity ContentHasher::identity() const {
  return {bytes_, fmt::format("{:016x}", XXH3_64bits_digest(&state_->xxh3))};
}

std::string describe(const ContentIdentity& identity) {
  return fmt::format("{} bytes, xxh3 {}", identity.bytes, identity.hash);
}

}  // namespace bnrun
