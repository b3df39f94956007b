#include "core/cpu.h"

#include <cstdlib>

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

}  // namespace bnrun::cpu
