// Which instruction-set level the fast paths may use, decided at run time (never by how bnrun was compiled).
//
// The binary is built for the x86-64 baseline (SSE2); code that can use more is compiled for that level alone
// (function target attributes or a translation unit of its own) and chosen by the level this CPU supports.
// Whatever level runs, results are the same bits: a fast path may be faster, never different.
//
// BNRUN_CPU_LEVEL=baseline|avx2|avx512 in the environment caps the level (read once, at first use), so a test
// can run the same binary under every level the host supports. A cap above what the CPU has changes nothing.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bnrun::cpu {

enum class Level {
  baseline,  // x86-64: SSE2
  avx2,      // AVX2, FMA and BMI2 (Haswell, Zen and later)
  avx512,    // AVX-512 F, BW, DQ, VL and VBMI2, plus BMI2 (Ice Lake, Zen 4 and later)
};

inline constexpr std::array<std::pair<Level, std::string_view>, 3> level_names = {
    {{Level::baseline, "baseline"}, {Level::avx2, "avx2"}, {Level::avx512, "avx512"}}};

std::string_view level_name(Level level);
std::optional<Level> level_from_name(std::string_view name);

// The highest level this CPU supports.
Level supported_level();
// The level fast paths use: supported_level(), capped by BNRUN_CPU_LEVEL.
Level active_level();
// Every level this CPU supports, lowest first (what a test runs each fast path under).
std::vector<Level> supported_levels();

// The processor's own name (the CPUID brand string, e.g. "AMD EPYC 7B13 64-Core Processor"), or "unknown": results
// files record which CPU their timings came from.
std::string processor_name();

}  // namespace bnrun::cpu
