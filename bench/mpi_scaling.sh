#!/usr/bin/env bash
# Data-parallel throughput on this machine (docs/SCALE.md): configs/fashion_mnist_bn.json trained by one process with
# T threads against T processes of one thread each (mpirun, training.distributed) with sync_bn and with local_bn,
# in interleaved rounds; each figure is the training samples per second of the last epoch (the first warms up),
# and the medians over the rounds are compared with the one-process median.
#
#   bench/mpi_scaling.sh [ROUNDS (3)] [EPOCHS (2)] [T (2)]
#
# Needs an MPI build (build/release/bnrun) and the Fashion-MNIST CSVs (scripts/fashion_mnist.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
epochs=${2:-2}
processes=${3:-2}
bnrun=build/release/bnrun
config=configs/fashion_mnist_bn.json
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# last_epoch_rate RESULTS: training rows ÷ the last epoch's seconds.
last_epoch_rate() {
  jq -r '.data.train_rows as $rows | .runs[0].history[-1].seconds as $s | ($rows / $s | round)' "$1"
}

common=(-c "$config" --set "training.epochs=$epochs" --set training.distributed=true -q)
declare -A rates
for round in $(seq "$rounds"); do
  OMP_NUM_THREADS=$processes "$bnrun" "${common[@]}" --arms sync_bn --threads "$processes" -o "$work/one" \
    --overwrite >/dev/null
  rates[one]+="$(last_epoch_rate "$work/one/results.json") "
  for arm in sync_bn local_bn; do
    mpirun -n "$processes" --bind-to none -x OMP_NUM_THREADS=1 "$bnrun" "${common[@]}" --arms "$arm" --threads 1 \
      -o "$work/$arm" --overwrite >/dev/null
    rates[$arm]+="$(last_epoch_rate "$work/$arm/results.json") "
  done
  echo "round $round of $rounds: $(echo "${rates[one]}" | awk '{ print $NF }') samples/s in one process" >&2
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
one=$(echo "${rates[one]}" | median)
echo "CPU: $(jq -r '.environment.cpu' "$work/one/results.json"), $(nproc) cores; $rounds rounds, epoch $epochs of $epochs"
printf '%-34s %-30s %10s %15s\n' "" "samples/s per round" "median" "÷ one process"
printf '%-34s %-30s %10.0f %15.2f\n' "one process, $processes threads" "${rates[one]}" "$one" 1
for arm in sync_bn local_bn; do
  value=$(echo "${rates[$arm]}" | median)
  printf '%-34s %-30s %10.0f %15.2f\n' "$processes processes × 1 thread, $arm" "${rates[$arm]}" "$value" \
    "$(awk -v a="$value" -v b="$one" 'BEGIN { print a / b }')"
done
