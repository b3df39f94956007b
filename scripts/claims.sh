#!/usr/bin/env bash
# Tests every claim of the seed notebook and the paper's Figure 1 (docs/CLAIMS.md): installs what is missing,
# makes the Fashion-MNIST CSVs, builds bnrun, runs each config in configs/claims/ and configs/paper_fig1.json as a
# study (two runs at a time) and writes docs/CLAIMS.md with the numbers, plots (docs/claims/) and verdicts.
# Study folders go to out/claims/. About 8 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fashion_mnist.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target bnrun -j "$(nproc)" >/dev/null
exec build/release/bnrun claims configs/claims/*.json configs/paper_fig1.json -j 2 -o out/claims --doc docs/CLAIMS.md "$@"
