#!/usr/bin/env bash
# The README's first command: install what is missing, build (Release), and run bnrun.
# With no arguments it runs the seed notebook's experiment, configs/iris_bn.json; otherwise the arguments go
# to bnrun as they are (e.g. scripts/run.sh --config configs/smoke.json --output out/smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target bnrun -j "$(nproc)" >/dev/null
if [ $# -eq 0 ]; then set -- --config configs/iris_bn.json; fi
exec build/release/bnrun "$@"
