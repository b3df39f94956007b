// The random streams: the bulk and jump-ahead draws give exactly the numbers of one next() at a time.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "core/random.h"

using bnrun::Random;

TEST_CASE("next_words draws the same numbers as as many calls of next()", "[core]") {
  Random one_by_one(5), in_bulk(5);
  std::vector<std::uint64_t> expected(1000), words(1000);
  for (auto& word : expected) word = one_by_one.next();
  in_bulk.next_words(words.data(), words.size());
  CHECK(words == expected);
  CHECK(in_bulk.next() == one_by_one.next());
}

TEST_CASE("advance(n) skips exactly n numbers, for small, odd and large n", "[core]") {
  for (const std::uint64_t steps : {0ULL, 1ULL, 2ULL, 3ULL, 64ULL, 255ULL, 256ULL, 1000ULL, 16385ULL, 100'003ULL}) {
    INFO("steps " << steps);
    Random walked = Random::stream(42, "dropout mask", 3);
    Random jumped = walked;
    for (std::uint64_t k = 0; k < steps; ++k) walked.next();
    jumped.advance(steps);
    CHECK(jumped.next() == walked.next());
    CHECK(jumped.uniform() == walked.uniform());
  }
}

TEST_CASE("advance composes: advance(a) then advance(b) is advance(a + b)", "[core]") {
  Random split(9), whole(9);
  split.advance(123'456'789);
  split.advance(987'654'321);
  whole.advance(123'456'789ULL + 987'654'321ULL);
  CHECK(split.next() == whole.next());
}
