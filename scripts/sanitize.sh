#!/usr/bin/env bash
# Builds everything with GCC's AddressSanitizer + UndefinedBehaviorSanitizer (the asan preset: -O1, assertions
# on, build/asan) and runs the whole test suite under them through ctest: the Catch2 cases and the command-line
# cases, which run that build's bnrun. Any sanitizer report fails its test. About 6 minutes on 2 cores from
# scratch (5 to build, under 1 to test); seconds when the build is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)" >/dev/null
ctest --preset asan -j "$(nproc)"
