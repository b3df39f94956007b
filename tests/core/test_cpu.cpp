// The dispatch level (core/cpu.h): detected once, capped by BNRUN_CPU_LEVEL, and the names configs and tests
// use for it. Tagged [levels], so ctest runs it again under every level (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "core/cpu.h"

using bnrun::cpu::Level;

TEST_CASE("the active level is the supported one, capped by BNRUN_CPU_LEVEL", "[levels]") {
  const Level supported = bnrun::cpu::supported_level();
  const char* cap = std::getenv("BNRUN_CPU_LEVEL");
  const auto capped = cap ? bnrun::cpu::level_from_name(cap) : std::nullopt;
  CHECK(bnrun::cpu::active_level() == (capped ? std::min(*capped, supported) : supported));
}

TEST_CASE("supported levels run from baseline up to the supported level", "[levels]") {
  const auto levels = bnrun::cpu::supported_levels();
  REQUIRE(!levels.empty());
  CHECK(levels.front() == Level::baseline);
  CHECK(levels.back() == bnrun::cpu::supported_level());
  CHECK(std::is_sorted(levels.begin(), levels.end()));
}

TEST_CASE("level names round-trip and unknown names are refused") {
  for (const auto& [level, name] : bnrun::cpu::level_names) {
    CHECK(bnrun::cpu::level_name(level) == name);
    CHECK(bnrun::cpu::level_from_name(name) == level);
  }
  CHECK_FALSE(bnrun::cpu::level_from_name("sse9").has_value());
}
