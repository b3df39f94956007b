#include "core/cpu.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

#include "core/names.h"

namespace bnrun::cpu {

std::string_view level_name(Level level) {
  return name_in(level_names, level);
}

std::optional<Level> level_from_name(std::string_view name) {
  return value_in(level_names, name);
}

Level supported_level() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const Level level = [] {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("bmi2");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                        __builtin_cpu_supports("avx512vbmi2");
    return avx512 ? Level::avx512 : avx2 ? Level::avx2 : Level::baseline;
  }();
  return level;
#else
  return Level::baseline;
#endif
}

Level active_level() {
  static const Level level = [] {
    const Level supported = supported_level();
    const char* cap = std::getenv("BNRUN_CPU_LEVEL");
    if (cap == nullptr) return supported;
    const auto capped = level_from_name(cap);
    // An unknown name caps nothing: the variable is a test hook, not a user setting.
    return capped && *capped < supported ? *capped : supported;
  }();
  return level;
}

std::vector<Level> supported_levels() {
  std::vector<Level> levels;
  for (const auto& [level, name] : level_names)
    if (level <= supported_level()) levels.push_back(level);
  return levels;
}

std::string processor_name() {
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned int registers[12] = {};
  unsigned int highest = 0, unused = 0;
  __cpuid(0x80000000u, highest, unused, unused, unused);
  if (highest >= 0x80000004u) {
    for (unsigned int leaf = 0; leaf < 3; ++leaf)
      __cpuid(0x80000002u + leaf, registers[4 * leaf], registers[4 * leaf + 1], registers[4 * leaf + 2],
              registers[4 * leaf + 3]);
    char text[sizeof registers + 1] = {};
    std::memcpy(text, registers, sizeof registers);
    std::string name(text);
    // The brand string is padded with spaces (and on some CPUs led by them).
    const auto first = name.find_first_not_of(' ');
    const auto last = name.find_last_not_of(' ');
    if (first != std::string::npos) return name.substr(first, last - first + 1);
  }
#endif
  return "unknown";
}

}  // namespace bnrun::cpu
