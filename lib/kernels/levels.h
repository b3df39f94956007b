// One kernel body, compiled once per instruction-set level and run at the level this CPU dispatches to
// (core/cpu.h). A kernel writes its body as `static void run(...)` of a struct, marked BNRUN_ALWAYS_INLINE so
// that it takes on the target of the wrapper it is inlined into, and calls run_at_active_level<Body>(args...).
//
// The same bits at every level: the wrappers differ only in the instructions the compiler may use, never in
// the arithmetic, because nothing in bnrun reassociates a sum (no -ffast-math; every reduction runs across
// lanes of independent outputs, not within one) and nothing fuses a multiply-add (-ffp-contract=off, and the
// avx2 wrapper does not enable FMA either). A wider vector then computes each output with the same IEEE
// operations in the same order, only more of them at once.
//
// The avx512 level runs the avx2 wrapper: this project has had no AVX-512 machine to measure or test a
// 512-bit build on, and an untested code path is not worth what it might gain.
#pragma once

#include "core/cpu.h"

#define BNRUN_ALWAYS_INLINE [[gnu::always_inline]] inline

namespace bnrun::kernels {

namespace levels {

template <class Body, class... Args>
void at_baseline(const Args&... args) {
  Body::run(args...);
}

template <class Body, class... Args>
__attribute__((target("avx2"))) void at_avx2(const Args&... args) {
  Body::run(args...);
}

}  // namespace levels

template <class Body, class... Args>
void run_at_active_level(const Args&... args) {
  if (cpu::active_level() >= cpu::Level::avx2)
    levels::at_avx2<Body>(args...);
  else
    levels::at_baseline<Body>(args...);
}

}  // namespace bnrun::kernels
