// The identity a run records of its data: size and XXH3-64, as the reference implementation (xxhsum -H3) prints.
#include <catch2/catch.hpp>

#include "core/content_identity.h"

TEST_CASE("a content identity is the size and the XXH3-64 that xxhsum -H3 prints", "[core]") {
  // Golden values from `printf '' | xxhsum -H3` and `printf abc | xxhsum -H3` (Debian's xxhash 0.8.1).
  CHECK(bnrun::identify_content("") == bnrun::ContentIdentity{0, "2d06800538d394c2"});
  CHECK(bnrun::identify_content("abc") == bnrun::ContentIdentity{3, "78af5f94892f3950"});
  CHECK(bnrun::describe(bnrun::identify_content("abc")) == "3 bytes, xxh3 78af5f94892f3950");
}

TEST_CASE("one changed byte changes the content identity", "[core]") {
  std::string text(100000, 'x');
  const auto before = bnrun::identify_content(text);
  text[54321] = 'y';
  CHECK(bnrun::identify_content(text).bytes == before.bytes);
  CHECK(bnrun::identify_content(text).hash != before.hash);
}

TEST_CASE("a content identity taken piece by piece is the one taken at once", "[core]") {
  std::string text;
  for (int i = 0; i < 300000; ++i) text += static_cast<char>('a' + i * 7 % 26);
  for (const std::size_t piece_size : {std::size_t{1}, std::size_t{63}, std::size_t{4096}, std::size_t{1} << 20}) {
    bnrun::ContentHasher hasher;
    for (std::size_t at = 0; at < text.size(); at += piece_size)
      hasher.add(std::string_view(text).substr(at, piece_size));
    INFO("pieces of " << piece_size);
    CHECK(hasher.identity() == bnrun::identify_content(text));
  }
  CHECK(bnrun::ContentHasher().identity() == bnrun::identify_content(""));
}
