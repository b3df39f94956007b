// The Catch2 runner. A run capped to an instruction-set level this CPU lacks (BNRUN_CPU_LEVEL, core/cpu.h)
// would silently test a lower level again, so it exits 77 instead, which ctest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

#include "core/cpu.h"

int main(int argc, char* argv[]) {
  if (const char* cap = std::getenv("BNRUN_CPU_LEVEL")) {
    const auto level = bnrun::cpu::level_from_name(cap);
    if (level && *level > bnrun::cpu::supported_level()) {
      std::printf("SKIP: this CPU does not support level %s\n", cap);
      return 77;
    }
  }
  return Catch::Session().run(argc, argv);
}
