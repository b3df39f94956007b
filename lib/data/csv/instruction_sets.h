// The function target attributes of the fast paths above the x86-64 baseline: each function that uses AVX2 or
// AVX-512 carries one, so the rest of the binary stays at the baseline and runs on any x86-64 CPU, and such a
// function is called only on a CPU at its cpu::Level (core/cpu.h).
#pragma once

// What the avx2 and avx512 levels of cpu.h may use. cpu.cpp tests the features that set each level apart; the
// rest (BMI1, LZCNT, POPCNT) come with every CPU that has those, as the x86-64-v3 and -v4 levels of the psABI
// say.
#define BNRUN_CSV_AVX2_FEATURES "avx2,fma,bmi,bmi2,lzcnt,popcnt"
#define BNRUN_CSV_AVX512_FEATURES "avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi2,avx2,fma,bmi,bmi2,lzcnt,popcnt"

#define BNRUN_CSV_TARGET_AVX2 gnu::target(BNRUN_CSV_AVX2_FEATURES)
#define BNRUN_CSV_TARGET_AVX512 gnu::target(BNRUN_CSV_AVX512_FEATURES)

// For a translation unit compiled for one level as a whole (cell_rows.h): every function defined between
// BNRUN_CSV_BEGIN_LEVEL(features) and BNRUN_CSV_END_LEVEL, lambdas included, is compiled for the level.
// Functions defined before (in the headers, included first) keep the baseline, though they are inlined into
// these at the level's. (The pragma's text is built by stringizing, after the features' macro is expanded.)
#define BNRUN_CSV_STRINGIZE(...) #__VA_ARGS__
#define BNRUN_CSV_PRAGMA(...) _Pragma(BNRUN_CSV_STRINGIZE(__VA_ARGS__))
#if defined(__clang__)
#define BNRUN_CSV_BEGIN_LEVEL(features) \
  BNRUN_CSV_PRAGMA(clang attribute push(__attribute__((target(features))), apply_to = function))
#define BNRUN_CSV_END_LEVEL BNRUN_CSV_PRAGMA(clang attribute pop)
#else
#define BNRUN_CSV_BEGIN_LEVEL(features) BNRUN_CSV_PRAGMA(GCC push_options) BNRUN_CSV_PRAGMA(GCC target(features))
#define BNRUN_CSV_END_LEVEL BNRUN_CSV_PRAGMA(GCC pop_options)
#endif
