#!/usr/bin/env bash
# The README's second command (and what CI runs): install what is missing, build everything, run the whole
# test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)"
