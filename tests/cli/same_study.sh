# same_study WHOLE SPREAD: fails (with fail, defined by the sourcing script) unless the study folder SPREAD — made
# by shards or a job array — holds what WHOLE, made by one process, holds: the same table (`bnrun collect`), the
# same summary.csv without its timing column, and the same resolved config in every run folder. Needs $bnrun.
# shellcheck shell=bash

summary_without_seconds() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train_seconds") skip = i }
           { line = ""; for (i = 1; i <= NF; i++) if (i != skip) line = line $i ","; print line }' "$1"
}

same_study() {
  local whole=$1 spread=$2 run
  "$bnrun" -q collect "$whole" >"$whole.table" 2>stderr.txt || fail "collect $whole: $(cat stderr.txt)"
  "$bnrun" -q collect "$spread" >"$spread.table" 2>stderr.txt || fail "collect $spread: $(cat stderr.txt)"
  diff "$whole.table" "$spread.table" >/dev/null || fail "$spread's table differs: $(diff "$whole.table" "$spread.table")"
  diff <(summary_without_seconds "$whole/summary.csv") <(summary_without_seconds "$spread/summary.csv") >/dev/null ||
    fail "$spread/summary.csv differs"
  for run in "$whole"/0*; do
    cmp -s "$run/config.json" "$spread/$(basename "$run")/config.json" || fail "$(basename "$run")/config.json differs"
  done
}
