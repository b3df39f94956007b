#include "core/content_identity.h"

#include <fmt/format.h>

// Header-only use of xxHash: no library to link, and the hash inlines into the one function below.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace bnrun {

ContentIdentity identify_content(std::string_view contents) {
  return {contents.size(), fmt::format("{:016x}", XXH3_64bits(contents.data(), contents.size()))};
}

std::string describe(const ContentIdentity& identity) {
  return fmt::format("{} bytes, xxh3 {}", identity.bytes, identity.hash);
}

}  // namespace bnrun
