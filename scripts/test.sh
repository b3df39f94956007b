#!/usr/bin/env bash
# The README's second command (and what CI runs, .ci/run): install what is missing, then
#   1. build everything (Release) and run the whole test suite through ctest, which includes making the Debian
#      package, unpacking it into a scratch folder and running the installed bnrun from outside the tree
#      (tests/install/install_from_deb.sh, about 8 s);
#   2. scripts/sanitize.sh: the same suite built with ASan + UBSan (build/asan);
#   3. scripts/fuzz.sh 60: each libFuzzer target for 60 seconds (clang, ASan + UBSan, build/fuzz).
# It stops at the first step that fails. From a fresh clone on 2 cores it took 34 minutes (three builds, the
# suite twice, 3 minutes of fuzzing; measured while another job shared the machine); with the builds up to date,
# about 4 minutes, most of it fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)"
scripts/sanitize.sh
scripts/fuzz.sh 60
