#!/usr/bin/env bash
# Tests every claim of the seed notebook and the paper's Figure 1 (docs/CLAIMS.md): installs what is missing,
# makes the Fashion-MNIST CSVs, builds bnrun, runs each config in configs/claims/ and configs/paper_fig1.json as a
# study and writes docs/CLAIMS.md with the numbers, plots (docs/claims/) and verdicts. Study folders go to
# out/claims/. It runs under mpirun with 4 processes, because the claim about synchronized and local BN
# (configs/claims/sync_bn.json) trains each run over 4 processes; every other claim's runs are handed out to the 4
# processes (docs/SCALE.md). About 11 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fashion_mnist.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target bnrun -j "$(nproc)" >/dev/null
# OpenMPI refuses root without these two; with more processes than cores, a waiting process must yield its core.
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_mpi_yield_when_idle=1
exec mpirun -n 4 --oversubscribe --bind-to none build/release/bnrun claims configs/claims/*.json \
  configs/paper_fig1.json -o out/claims --doc docs/CLAIMS.md "$@"
