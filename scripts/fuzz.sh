#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz (csv, config, model, plan, results; ASan + UBSan, clang) for SECONDS
# each, one after the other, and fails on any crash, sanitizer report, leak, timeout or out-of-memory. Usage:
# scripts/fuzz.sh [SECONDS] (default 60; about SECONDS + 5 s per target once built, plus ~3 minutes for the first
# build on 2 cores).
#
# Each target starts from its seed corpus, tests/fuzz/corpus/<target>, copied into build/fuzz/corpus/<target>
# (new inputs go there, never into the tree) and uses tests/fuzz/<target>.dict when there is one. A failing
# input is saved under build/fuzz/artifacts/; replay it with build/fuzz/tests/fuzz/<target>_fuzzer FILE.
# Prints per target "csv_fuzzer: N executions, cov: C, ft: F" from libFuzzer's final statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
targets=(csv config model plan results)
# Only the targets run below (the fuzz build preset lists the same five).
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]/%/_fuzzer}" >/dev/null

build=build/fuzz
mkdir -p "$build/artifacts" "$build/logs"
export UBSAN_OPTIONS=print_stacktrace=1
failed=()
for target in "${targets[@]}"; do
  fuzzer=${target}_fuzzer
  corpus=$build/corpus/$target
  log=$build/logs/$fuzzer.log
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  dictionary=()
  [ -f tests/fuzz/"$target".dict ] && dictionary=(-dict=tests/fuzz/"$target".dict)
  status=0
  "$build/tests/fuzz/$fuzzer" "$corpus" "${dictionary[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$fuzzer-" \
    >"$log" 2>&1 || status=$?
  executions=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  coverage=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 |
    sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+).*/cov: \1, ft: \2/p')
  echo "$fuzzer: $executions executions, ${coverage:-cov: ?, ft: ?}"
  if [ "$status" -ne 0 ]; then
    failed+=("$fuzzer")
    echo "$fuzzer FAILED (exit code $status); the end of $log:" >&2
    tail -n 40 "$log" >&2
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (inputs in $build/artifacts)" >&2
  exit 1
fi
