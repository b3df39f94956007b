#!/usr/bin/env bash
# Command-line behaviour of the bnrun binary: what each command does and prints, exit codes, files written.
# Bad input of every kind is in tests/hostile/hostile_cases.sh.
#
#   cli_cases.sh --list                  prints the case names (CMake registers one ctest per case)
#   cli_cases.sh BNRUN SOURCE_DIR CASE   runs one case; exit 0 = pass
set -u

if [ "${1:-}" = "--list" ]; then
  grep -oE '^case_[a-z0-9_]+' "$0" | sed 's/^case_//'
  exit 0
fi

source "$(dirname "$0")/common.sh" "$@"

case_help_explains_and_exits_zero() {
  "$bnrun" --help >stdout.txt 2>&1 || fail "--help exited non-zero"
  grep -q -- "--config" stdout.txt && grep -q -- "--set" stdout.txt && grep -q "validate" stdout.txt ||
    fail "help is missing options: $(cat stdout.txt)"
}

case_validate_prints_resolved_config() {
  "$bnrun" validate -c "$source_dir/configs/iris_bn.json" --set training.batch_size=16 >stdout.txt 2>stderr.txt ||
    fail "validate failed: $(cat stderr.txt)"
  grep -q '"batch_size": 16' stdout.txt || fail "override not shown"
  grep -q '"momentum": 0.99' stdout.txt || fail "defaults not filled in"
  [ ! -e out ] || fail "validate wrote files"
}

# Every config the project ships (the main job, the examples, every claim) is valid as it stands, with its data
# when that is there (Fashion-MNIST is made by scripts/fashion_mnist.sh, not by the tests: then the config alone).
case_every_shipped_config_validates() {
  local config only
  for config in "$source_dir"/configs/*.json "$source_dir"/configs/claims/*.json; do
    only=()
    if grep -q 'fashion-mnist' "$config" && [ ! -s "$source_dir/data/fashion-mnist/train_10k.csv" ]; then
      only=(--config-only)
    fi
    "$bnrun" validate "${only[@]}" -c "$config" >stdout.txt 2>stderr.txt || fail "$config: $(cat stderr.txt)"
  done
}

# validate reads every run's data: a missing file, a missing target or feature column and an output width that
# does not fit the classes are errors (exit 2, one line); --config-only checks the config alone.
case_validate_checks_the_data_too() {
  local config="$source_dir/configs/iris_bn.json"
  refused() {
    local expected=$1
    shift
    "$bnrun" "$@" >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] || fail "$*: accepted"
    [ "$(wc -l <stderr.txt)" -eq 1 ] && grep -qF "$expected" stderr.txt || fail "$*: $(cat stderr.txt)"
  }
  refused "/nope.csv: cannot open file" validate -c "$config" --set dataset.path=/nope.csv
  refused "target column 'nope' is not in the header" validate -c "$config" --set dataset.target=nope
  refused "model.layers[4].units: is 5, but the data has 3 classes" validate -c "$config" --set 'model.layers[4].units=5'
  refused "/nope.csv: cannot open file" -c "$config" --seeds 3 --set dataset.path=/nope.csv --dry-run
  "$bnrun" validate --config-only -c "$config" --set dataset.path=/nope.csv >/dev/null 2>stderr.txt ||
    fail "--config-only read the data: $(cat stderr.txt)"
  grep -q 'config is valid' stderr.txt || fail "$(cat stderr.txt)"
}

case_summary_counts_batchnorm_parameters() {
  "$bnrun" summary -c "$source_dir/configs/iris_bn.json" >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -E '^batchnorm_1 \(batchnorm\) +\(None, 64\) +256 +128 +128' stdout.txt || fail "$(cat stdout.txt)"
  grep -q 'total params: 2,883  (trainable: 2,691, non-trainable: 192)' stdout.txt || fail "$(cat stdout.txt)"
}

case_smoke_run_writes_results() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  [ ! -s stderr.txt ] || fail "-q printed logs: $(cat stderr.txt)"
  grep -qE '^bn ' stdout.txt && grep -qE '^no_bn ' stdout.txt || fail "table lacks variants: $(cat stdout.txt)"
  for file in results.json history_bn.csv history_no_bn.csv; do [ -s "out/$file" ] || fail "missing out/$file"; done
  [ "$(ls out | grep -c tmp)" -eq 0 ] || fail "temporary files left: $(ls out)"
  [ "$(wc -l <out/history_bn.csv)" -eq 6 ] || fail "history_bn.csv should have a header and 5 epochs"
}

case_variant_option_runs_one_network() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --variant no_bn >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^no_bn ' stdout.txt || fail "no_bn missing"
  ! grep -qE '^bn ' stdout.txt || fail "bn ran"
}

case_arms_option_selects_and_orders_arms() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --arms no_bn,bn -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -oE '^(bn|no_bn) +[0-9]' stdout.txt | cut -d' ' -f1 | paste -sd,)" = "no_bn,bn" ] || fail "$(cat stdout.txt)"
  grep -q '"arm": "no_bn"' out/results.json || fail "results.json lacks runs[].arm"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --arms bn,nope >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "an unknown arm was not refused"
  grep -q 'error: --arms nope: not an arm of the config nor an arm kind (bn, no_bn, ghost_bn, batch_renorm, bn_batch_stats, bn_cumulative, layernorm, groupnorm, dropout, sync_bn, local_bn)' stderr.txt || fail "$(cat stderr.txt)"
}

case_the_batchnorm_mode_arms_run_on_iris() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=3 --set training.batch_size=32 \
    --arms bn,ghost_bn,batch_renorm,bn_batch_stats,bn_cumulative --seeds 2 -o out >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  for arm in bn ghost_bn batch_renorm bn_batch_stats bn_cumulative; do
    grep -q "\"$arm\": {" out/summary.json || fail "summary.json lacks $arm: $(cat out/summary.json)"
  done
  [ "$(grep -c '"evaluation_batch_size": 32' out/001_seed=42/result.json)" -eq 1 ] ||
    fail "result.json does not give bn_batch_stats' evaluation batch (and no other arm's)"
}

# A third arm defined in the config alone (bn with momentum 0.9 under another name), through every output.
three_arms='experiment.arms=["bn","no_bn",{"name":"bn_m09","kind":"bn","momentum":0.9}]'

case_a_third_arm_from_the_config_runs_through_every_output() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=5 --set "$three_arms" --seeds 3 \
    -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^bn_m09 +3 +0\.[0-9]{4} ± 0\.[0-9]{4}' stdout.txt || fail "no row for bn_m09: $(cat stdout.txt)"
  grep -q '^bn - no_bn, paired over 3 seeds: test accuracy' stdout.txt || fail "no bn pair: $(cat stdout.txt)"
  grep -q '^bn_m09 - no_bn, paired over 3 seeds: test accuracy' stdout.txt || fail "no bn_m09 pair: $(cat stdout.txt)"
  grep -q '"arm": "bn_m09"' out/001_seed=42/result.json || fail "result.json lacks the arm"
  grep -q '^bn_m09,' out/001_seed=42/history.csv || fail "history.csv lacks the arm"
  [ "$(grep -c ',bn_m09,ok,' out/summary.csv)" -eq 3 ] || fail "summary.csv: $(cat out/summary.csv)"
  grep -q '"bn_m09": {' out/summary.json || fail "summary.json lacks the arm's statistics"
  grep -q '"reference": "no_bn"' out/summary.json || fail "summary.json lacks the paired differences"
  grep -q '^## bn_m09 − no_bn, paired by seed' out/report.md || fail "report.md lacks the pair: $(cat out/report.md)"
  grep -q 'bn_m09 train' out/plots/learning_curves.svg || fail "the learning curves lack the arm"
  "$bnrun" compare out >compare.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -cE ' bn_m09 +ok ' compare.txt)" -eq 3 ] || fail "compare: $(cat compare.txt)"
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=5 --set "$three_arms" \
    --sweep training.batch_size=8,16 --seeds 2 -o sweep >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q 'bn_m09 - no_bn acc \[95 % CI\]' stdout.txt || fail "the sweep table lacks the pair: $(cat stdout.txt)"
  grep -q 'paired 95 % interval of each arm - no_bn' stdout.txt || fail "$(cat stdout.txt)"
  grep -q 'bn_m09' sweep/plots/sweep_batch_size.svg || fail "the sweep plot lacks the arm"
}

case_the_reference_arm_is_what_the_others_are_paired_against() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=5 --set "$three_arms" \
    --set experiment.reference=bn >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '^no_bn - bn: ' stdout.txt && grep -q '^bn_m09 - bn: ' stdout.txt || fail "$(cat stdout.txt)"
  ! grep -q '^bn - ' stdout.txt || fail "the reference was paired with itself: $(cat stdout.txt)"
}

# The layernorm, groupnorm and dropout arms (each replaces every batchnorm layer) beside bn and no_bn.
case_norm_and_dropout_arms_train_beside_bn_and_no_bn() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=3 --seeds 2 \
    --arms bn,no_bn,layernorm,groupnorm,dropout -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  for arm in bn no_bn layernorm groupnorm dropout; do
    [ "$(grep -cE "^$arm +2 +0\.[0-9]{4} ± 0\.[0-9]{4}" stdout.txt)" -eq 1 ] || fail "no one row for $arm: $(cat stdout.txt)"
    [ "$(grep -c "\"$arm\": {" out/summary.json)" -ge 1 ] || fail "summary.json lacks $arm"
    [ "$(grep -c ",$arm,ok," out/summary.csv)" -eq 2 ] || fail "summary.csv: $(cat out/summary.csv)"
  done
  "$bnrun" summary -c "$source_dir/configs/iris_bn.json" --arms layernorm,groupnorm,dropout >summary.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  grep -qE '^layernorm_1 \(layernorm\) +\(None, 64\) +128 +128 +0' summary.txt || fail "$(cat summary.txt)"
  grep -qE '^groupnorm_2 \(groupnorm\) +\(None, 32\) +64 +64 +0' summary.txt || fail "$(cat summary.txt)"
  grep -qE '^dropout_1 \(dropout\) +\(None, 64\) +0 +0 +0' summary.txt || fail "$(cat summary.txt)"
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --arms groupnorm --set 'experiment.arms=[{"kind":"groupnorm","groups":5}]' \
    >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "groups that do not divide 64 were accepted"
  [ "$(wc -l <stderr.txt)" -eq 1 ] && grep -q 'experiment.arms\[0\].groups: 5 does not divide the 64 features' stderr.txt ||
    fail "$(cat stderr.txt)"
}

# A claim over several arms: every arm's mean, each judged arm's paired difference, one verdict per arm, the plot.
case_claim_over_several_arms_gives_a_verdict_per_arm() {
  cat >claim.json <<EOF
{"dataset": {"path": "$source_dir/datasets/iris.csv", "target": "species"},
 "model": {"layers": [{"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]},
 "training": {"epochs": 3, "batch_size": 16},
 "experiment": {"arms": ["bn", "layernorm", {"name": "both", "kind": "dropout", "keep_batchnorm": true}, "no_bn"],
                "seeds": 5},
 "claim": {"title": "Normalizers", "question": "q?", "metric": "test_loss", "better": "lower",
           "arms": ["bn", "layernorm"]}}
EOF
  "$bnrun" -q claims claim.json --doc doc/claims.md -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '^| bn | layernorm | both | no_bn |$' doc/claims.md || fail "no means table: $(cat doc/claims.md)"
  grep -qE '^\| layernorm \| [+-]0\.[0-9]{4} \| \[[+-]0\.[0-9]{4}, [+-]0\.[0-9]{4}\] \|' doc/claims.md ||
    fail "no layernorm difference: $(cat doc/claims.md)"
  [ "$(grep -cE '^- (bn|layernorm) against no_bn: \*\*(supported|not supported|inconclusive)\*\*' doc/claims.md)" -eq 2 ] ||
    fail "not one verdict per judged arm: $(cat doc/claims.md)"
  grep -qE '^\| Normalizers \| layernorm − no_bn \| `test_loss` \|' doc/claims.md || fail "$(cat doc/claims.md)"
  [ -s doc/claims/claim_learning_curves.svg ] || fail "no plot: $(ls -R doc)"
  grep -q 'layernorm' doc/claims/claim_learning_curves.svg || fail "the plot lacks layernorm"
  sed -i 's/"arms": \["bn", "layernorm"\]}/"arms": ["bn", "groupnorm"]}/' claim.json
  "$bnrun" -q claims claim.json --doc doc/claims.md -o out >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "a claim about an arm the experiment lacks was accepted"
  [ "$(wc -l <stderr.txt)" -eq 1 ] &&
    grep -q 'claim.json: claim.arms: "groupnorm" is not an arm of the experiment (bn, layernorm, both, no_bn)' stderr.txt ||
    fail "$(cat stderr.txt)"
}

# --- shards: a study split across processes into one folder (study/shards.h) ---

study_args=(--seeds 3 --sweep training.batch_size=16,32 --set training.epochs=5)

source "$source_dir/tests/cli/same_study.sh"

case_three_shards_at_once_leave_the_study_one_process_leaves() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o whole >whole.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  for shard in 0 1 2; do
    "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o shared --shard "$shard/3" \
      >"shard$shard.txt" 2>"shard$shard.err" &
  done
  for job in $(jobs -p); do wait "$job" || fail "a shard failed: $(cat shard*.err)"; done
  [ "$(ls -d shared/0*_seed=* | wc -l)" -eq 6 ] || fail "run folders: $(ls shared)"
  [ -s shared/summary.json ] && [ -s shared/report.md ] && [ -s shared/plan.json ] || fail "no summary: $(ls shared)"
  "$bnrun" -q collect shared >collected.txt 2>stderr.txt || fail "collect: $(cat stderr.txt)"
  diff whole.txt collected.txt >/dev/null || fail "collected table differs: $(diff whole.txt collected.txt)"
  same_study whole shared
  # Every run has its result already: a shard started again trains nothing.
  "$bnrun" -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o shared --shard 1/3 >again.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  [ "$(grep -c "(finished earlier, kept)" stderr.txt)" -eq 2 ] || fail "a finished run was trained again: $(cat stderr.txt)"
}

case_a_shard_planned_differently_is_refused_naming_the_difference() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o shared --shard 0/2 >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" --set training.epochs=6 -o shared --shard 1/2 \
    >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "a shard with another config was accepted"
  [ "$(wc -l <stderr.txt)" -eq 1 ] &&
    grep -q 'shared/plan.json: the study in this folder was planned with another config or other options (run 1 (001_batch_size=16_seed=42) differs at /config/training/epochs: 5 there, 6 here)' stderr.txt ||
    fail "$(cat stderr.txt)"
  [ "$(ls -d shared/0* | wc -l)" -eq 3 ] || fail "the refused shard wrote runs: $(ls shared)"
}

case_collect_before_every_shard_finished_names_the_missing_runs() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o shared --shard 2/3 >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  "$bnrun" -q collect shared >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "collect of an unfinished study exited 0"
  grep -q 'error: 4 of the study.s 6 runs have no finished result yet (001_batch_size=16_seed=42, 002_batch_size=16_seed=43, 004_batch_size=32_seed=42, 005_batch_size=32_seed=43)' stderr.txt ||
    fail "$(cat stderr.txt)"
  grep -q '"not_run"\|not run' shared/summary.json || fail "the summary does not show the missing runs"
  "$bnrun" -q collect nowhere >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && grep -q 'nowhere: no study plan here (plan.json is missing)' stderr.txt || fail "$(cat stderr.txt)"
  for bad in 3/3 1 a/2 0/0; do
    "$bnrun" -q -c "$source_dir/configs/iris_bn.json" "${study_args[@]}" -o s --shard "$bad" >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] && grep -q "error: --shard $bad: expected I/N with 0 ≤ I < N" stderr.txt || fail "--shard $bad: $(cat stderr.txt)"
  done
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" -o single --shard 0/2 >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && grep -q "error: --shard splits a study's runs" stderr.txt || fail "$(cat stderr.txt)"
}

# bnrun slurm --dry-run writes and prints the scripts (with the config's launcher.slurm lines) and submits nothing.
case_slurm_dry_run_writes_the_scripts_and_submits_nothing() {
  cat >study.json <<EOF
{"dataset": {"path": "$source_dir/datasets/iris.csv", "target": "species"},
 "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "batchnorm"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]},
 "experiment": {"seeds": 3},
 "launcher": {"slurm": {"partition": "short", "cpus_per_task": 2, "max_parallel": 2,
                        "sbatch": ["--qos=normal"], "setup": ["module load openblas"]}}}
EOF
  PATH=/nonexistent "$bnrun" slurm -c study.json -o out --time 00:10:00 --dry-run >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  for line in '#SBATCH --partition=short' '#SBATCH --time=00:10:00' '#SBATCH --cpus-per-task=2' '#SBATCH --qos=normal' \
              'module load openblas' '--shard "${SLURM_ARRAY_TASK_ID}/3" --threads "${SLURM_CPUS_PER_TASK:-1}"'; do
    grep -qF -- "$line" out/slurm/array.sh || fail "array.sh lacks $line: $(cat out/slurm/array.sh)"
  done
  grep -qF "collect $(pwd)/out" out/slurm/collect.sh || fail "$(cat out/slurm/collect.sh)"
  grep -qF 'would submit: sbatch --parsable --array=0-2%2' stdout.txt || fail "$(cat stdout.txt)"
  [ -s out/plan.json ] && [ ! -e out/slurm/logs/*.out ] || fail "$(ls -R out)"
  bash -n out/slurm/array.sh && bash -n out/slurm/collect.sh || fail "the scripts are not valid bash"
  sed -i 's/"cpus_per_task": 2/"cpus_per_task": 0/' study.json
  "$bnrun" validate -c study.json >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && grep -q 'study.json: launcher.slurm.cpus_per_task: ' stderr.txt || fail "$(cat stderr.txt)"
  sed -i 's/"cpus_per_task": 0/"cpus_per_task": 1/; s/"--qos=normal"/"qos=normal"/' study.json
  "$bnrun" slurm -c study.json -o out2 --dry-run >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && grep -q 'launcher.slurm.sbatch\[0\]: expected an sbatch option such as "--qos=normal", got "qos=normal"' stderr.txt ||
    fail "$(cat stderr.txt)"
}

# --- studies: seeds, sweeps, run folders, model files, compare ---

iris_config() { printf '%s' "$source_dir/configs/iris_bn.json"; }

case_seeds_print_mean_std_and_paired_difference() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=5 --seeds 3 -o out >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  grep -qE '^bn +3 +0\.[0-9]{4} ± 0\.[0-9]{4}' stdout.txt || fail "no mean ± std row for bn: $(cat stdout.txt)"
  grep -qE '^no_bn +3 ' stdout.txt || fail "no row for no_bn: $(cat stdout.txt)"
  grep -q 'bn - no_bn, paired over 3 seeds: test accuracy [+-]0\.[0-9]* \[' stdout.txt ||
    fail "no paired difference: $(cat stdout.txt)"
  for file in summary.json summary.csv report.md plots/learning_curves.svg 001_seed=42/config.json \
    001_seed=42/history.csv 001_seed=42/result.json 003_seed=44/result.json; do
    [ -s "out/$file" ] || fail "missing out/$file: $(ls -R out)"
  done
  [ "$(grep -c '' out/summary.csv)" -eq 7 ] || fail "summary.csv should have a header and 6 rows"
  grep -q '](plots/learning_curves.svg)' out/report.md || fail "report.md does not link the plot"
  grep -q '<svg' out/plots/learning_curves.svg || fail "not an SVG"
  [ -z "$(find out -name '*.tmp*')" ] || fail "temporary files left"
}

case_sweep_dry_run_lists_the_grid_and_trains_nothing() {
  "$bnrun" -c "$(iris_config)" --sweep training.batch_size=8,32 --sweep model.layers[1].momentum=0.9,0.99 \
    --seeds 2 -j 2 --dry-run -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '8 runs' stdout.txt || fail "$(cat stdout.txt)"
  grep -q '008_batch_size=32_momentum=0.99_seed=43' stdout.txt || fail "$(cat stdout.txt)"
  [ ! -e out ] || fail "--dry-run wrote files"
}

case_two_key_sweep_runs_two_at_a_time() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=3 --sweep training.batch_size=8,32 \
    --sweep training.optimizer.learning_rate=0.001,0.01 -j 2 -o out >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  grep -qE '^batch_size +learning_rate +n +bn test acc +no_bn test acc' stdout.txt || fail "$(cat stdout.txt)"
  [ "$(ls -d out/0*/ | wc -l)" -eq 4 ] || fail "expected 4 run folders: $(ls out)"
  for file in plots/sweep_batch_size.svg plots/sweep_learning_rate.svg; do [ -s "out/$file" ] || fail "no $file"; done
}

case_a_study_reads_its_data_once() {
  "$bnrun" -v -c "$(iris_config)" --set training.epochs=1 --seeds 3 --sweep training.batch_size=8,16 -j 2 -o out \
    >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '1 dataset read for 6 runs$' stderr.txt || fail "$(grep -v epoch stderr.txt)"
  # A sweep over the target reads the file once per target: the columns differ.
  "$bnrun" -v -c "$(iris_config)" --set training.epochs=1 --seeds 2 --sweep dataset.target=species,sepal_length \
    -o out2 >stdout.txt 2>stderr.txt
  grep -q '2 datasets read for 4 runs$' stderr.txt || fail "$(grep -v epoch stderr.txt)"
}

case_a_failed_run_does_not_stop_the_study() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=2 --sweep dataset.target=species,sepal_length -o out \
    >stdout.txt 2>stderr.txt
  local code=$?
  [ "$code" -eq 2 ] || fail "exit code $code, expected 2"
  [ -s out/001_target=species/result.json ] || fail "the good run did not finish"
  grep -q 'run 2 (002_target=sepal_length) failed: ' stdout.txt || fail "$(cat stdout.txt)"
  grep -q '^error: 1 of 2 runs failed or diverged' stderr.txt || fail "$(cat stderr.txt)"
  grep -q ',failed,' out/summary.csv || fail "summary.csv lacks the failure"
}

case_existing_output_needs_overwrite_or_resume() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out >/dev/null 2>&1 || fail "first run failed"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "a second run into the same folder was not refused"
  grep -q 'already holds results; add --overwrite' stderr.txt || fail "$(cat stderr.txt)"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out --overwrite >/dev/null 2>stderr.txt ||
    fail "--overwrite failed: $(cat stderr.txt)"
}

case_resume_runs_only_the_missing_runs() {
  "$bnrun" -c "$(iris_config)" --set training.epochs=2 --seeds 3 -o out >/dev/null 2>&1 || fail "first run failed"
  rm -r out/002_seed=43
  "$bnrun" -c "$(iris_config)" --set training.epochs=2 --seeds 3 -o out --resume >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  [ "$(grep -c 'finished earlier, kept' stderr.txt)" -eq 2 ] || fail "$(cat stderr.txt)"
  [ -s out/002_seed=43/result.json ] || fail "the missing run was not run"
}

case_saved_model_reproduces_the_test_accuracy() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=20 -o out --save-model >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  for variant in bn no_bn; do
    "$bnrun" eval --json --model "out/model_$variant.json" --data out/test.csv >eval.txt 2>stderr.txt ||
      fail "eval failed: $(cat stderr.txt)"
    local accuracy loss expected_accuracy expected_loss
    accuracy=$(grep -oE '"accuracy":[^,}]*' eval.txt | cut -d: -f2)
    loss=$(grep -oE '"loss":[^,}]*' eval.txt | cut -d: -f2)
    # results.json lists bn first: take the variant's "test" block.
    expected_accuracy=$(grep -A30 "\"variant\": \"$variant\"" out/results.json | grep -m1 -oE '"accuracy": [^,}]*' |
      cut -d' ' -f2)
    expected_loss=$(grep -A30 "\"variant\": \"$variant\"" out/results.json | grep -m1 -oE '"loss": [^,}]*' |
      cut -d' ' -f2)
    [ -n "$accuracy" ] && [ "$accuracy" = "$expected_accuracy" ] ||
      fail "$variant accuracy $accuracy != $expected_accuracy"
    [ "$loss" = "$expected_loss" ] || fail "$variant loss $loss != $expected_loss"
  done
  "$bnrun" predict --model out/model_bn.json --data out/test.csv -o preds.csv 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -c '' preds.csv)" -eq 31 ] || fail "expected a header and 30 predictions"
  head -1 preds.csv | grep -q '^row,predicted,p_setosa,p_versicolor,p_virginica$' || fail "$(head -1 preds.csv)"
  # Unlabelled rows: the target column is not needed to predict.
  cut -d, -f1-4 out/test.csv >unlabelled.csv
  "$bnrun" predict --model out/model_bn.json --data unlabelled.csv >unlabelled_preds.csv 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  cmp -s preds.csv unlabelled_preds.csv || fail "predictions differ without the target column"
}

# Each arm's test result in results.json has the classification metrics (and the validation split's), and eval
# --json of the run's test rows prints the very same "test" object.
case_classification_metrics_in_results_equal_eval_json() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=20 -o out --save-model >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  tr -d ' \n' <out/results.json >compact.json
  grep -q '"confusion_matrix":{"classes":\["setosa","versicolor","virginica"\],"counts":\[\[' compact.json ||
    fail "no confusion matrix with the class names"
  grep -q '"validation":{"accuracy":[0-9.e-]*,"loss":[0-9.e-]*,"macro_f1":' compact.json ||
    fail "no validation metrics"
  local variant run_test eval_test key
  for variant in bn no_bn; do
    "$bnrun" eval --json --model "out/model_$variant.json" --data out/test.csv >eval.txt 2>stderr.txt ||
      fail "eval failed: $(cat stderr.txt)"
    # The variant's entry, cut at the end of its "test" object, then that object's contents.
    run_test=$(sed -E "s/.*\"variant\":\"$variant\"//; s/\},\"validation\".*//; s/^.*\"test\":\{//" compact.json)
    eval_test=$(tr -d ' \n' <eval.txt | sed -E 's/^.*"accuracy"/"accuracy"/; s/\}$//')
    for key in accuracy loss macro_f1 balanced_accuracy roc_auc log_loss per_class confusion_matrix; do
      grep -q "\"$key\":" <<<"$run_test" || fail "$variant: results.json's test has no $key: $run_test"
    done
    [ "$run_test" = "$eval_test" ] || fail "$variant: eval --json differs from the run's test result:
run:  $run_test
eval: $eval_test"
  done
}

# breast_cancer.csv with 40 of its 212 malignant rows (about 1 in 10) and a config for it.
write_imbalanced_breast_cancer() {
  awk -F, 'NR == 1 || $31 == "benign" || ($31 == "malignant" && ++malignant <= 40)' \
    "$source_dir/datasets/breast_cancer.csv" >imbalanced.csv
  cat >imbalanced.json <<'JSON'
{
  "dataset": {"path": "imbalanced.csv", "target": "diagnosis", "test_fraction": 0.25},
  "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "activation": "softmax"}]},
  "training": {"epochs": 10, "batch_size": 32, "class_weight": "balanced"}
}
JSON
}

case_class_weighted_run_on_imbalanced_data_reports_its_weights() {
  write_imbalanced_breast_cancer
  [ "$(grep -c ',malignant$' imbalanced.csv)" -eq 40 ] || fail "the imbalanced file has the wrong rows"
  "$bnrun" -q -c imbalanced.json -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  tr -d ' \n' <out/results.json >compact.json
  local weights
  weights=$(grep -m1 -oE '"class_weights":\{"benign":[0-9.e-]+,"malignant":[0-9.e-]+\}' compact.json) ||
    fail "no class weights in results.json"
  # Balanced: n / (2 n_k) per class, so the rare class weighs more and 1 / w_benign + 1 / w_malignant = 2.
  awk -v text="$weights" 'BEGIN {
    split(text, parts, /[:,}]/); benign = parts[3]; malignant = parts[5]
    sum = 1 / benign + 1 / malignant
    exit !(malignant > 1 && benign < 1 && sum > 2 - 1e-12 && sum < 2 + 1e-12) }' ||
    fail "balanced weights are not n / (2 n_k): $weights"
  [ "$(grep -o '"class_weights"' compact.json | wc -l)" -eq 2 ] || fail "expected the weights of both arms"
  grep -q '"class_weight":"balanced"' compact.json || fail "the resolved config lacks class_weight"
  grep -q '"macro_f1":' compact.json || fail "no metrics"
  # Weights by label: the labels not listed weigh 1.
  "$bnrun" -q -c imbalanced.json --set 'training.class_weight={"malignant":5}' -o out2 >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  tr -d ' \n' <out2/results.json | grep -q '"class_weights":{"benign":1.0,"malignant":5.0}' ||
    fail "weights by label not reported"
}

case_a_bad_class_weight_is_one_line_and_exit_2() {
  write_imbalanced_breast_cancer
  expect_error 'imbalanced.json: training.class_weight.cancer: "cancer" is not a label of the data (its labels: benign, malignant)' \
    -- -c imbalanced.json --set 'training.class_weight={"cancer":2}'
  expect_error 'training.class_weight.malignant: expected a number > 0, got 0' \
    -- -c imbalanced.json --set 'training.class_weight={"malignant":0}'
  expect_error 'training.class_weight: expected "balanced" or an object of label: weight, got "balance"' \
    -- -c imbalanced.json --set training.class_weight=balance
  "$bnrun" validate -c imbalanced.json --set 'training.class_weight={"cancer":2}' >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && [ "$(wc -l <stderr.txt)" -eq 1 ] && grep -qF '"cancer" is not a label of the data' stderr.txt ||
    fail "validate: $(cat stderr.txt)"
}

# report.metric adds that metric's column to a run's table and to a study's summaries; a key the registry does not
# know is refused.
case_report_metric_adds_its_column_to_the_table() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=5 --set report.metric=test_macro_f1 >stdout.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  grep -qE '^variant +test acc +test loss +test macro-F1 +best val acc' stdout.txt || fail "$(cat stdout.txt)"
  grep -qE '^bn - no_bn: .*, [+-][0-9.]+ test macro-F1$' stdout.txt || fail "$(cat stdout.txt)"
  # A study summarizes it too: the table, the paired difference, summary.json and report.md.
  "$bnrun" -c "$(iris_config)" --set training.epochs=5 --set report.metric=test_macro_f1 --seeds 2 -o study \
    >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^variant +n +test accuracy .* test loss .* test macro-F1 +min +max$' stdout.txt || fail "$(cat stdout.txt)"
  grep -qE '^bn - no_bn, paired over 2 seeds: .*, test macro-F1 [+-][0-9.]+ ' stdout.txt || fail "$(cat stdout.txt)"
  tr -d ' \n' <study/summary.json | grep -q '"bn":{"ok":2,[^}]*"test_accuracy":{[^}]*},"test_loss":{[^}]*},"test_macro_f1":{"n":2' ||
    fail "summary.json's groups lack test_macro_f1"
  grep -q '| test macro-F1 | 95 % interval |' study/report.md || fail "report.md lacks the metric"
  expect_error 'report.metric: expected one of' -- -c "$(iris_config)" --set report.metric=f1
}

case_init_from_a_model_of_another_shape_is_refused() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=1 -o saved --save-model >/dev/null 2>&1 || fail "training failed"
  expect_error "dense_1" -- -c "$(iris_config)" --set model.layers[0].units=7 --init-from saved/model_bn.json
}

case_init_from_a_saved_model_continues_from_its_weights() {
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=20 -o saved --save-model >/dev/null 2>&1 || fail "training failed"
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=1 --init-from saved/model_bn.json -o warm >stdout.txt \
    2>stderr.txt || fail "$(cat stderr.txt)"
  "$bnrun" -q -c "$(iris_config)" --set training.epochs=1 -o cold >/dev/null 2>&1 || fail "cold run failed"
  # One more epoch from 20 trained epochs is far better than one epoch from the seeded start.
  local warm cold
  warm=$(grep -m1 '"train_loss"' warm/results.json | grep -oE '[0-9.]+')
  cold=$(grep -m1 '"train_loss"' cold/results.json | grep -oE '[0-9.]+')
  awk -v w="$warm" -v c="$cold" 'BEGIN { exit !(w < c / 2) }' || fail "warm start loss $warm, cold $cold"
}

case_save_model_needs_output() {
  "$bnrun" -c "$(iris_config)" --save-model >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "not refused"
  grep -qx 'error: --save-model needs --output DIR' stderr.txt || fail "$(cat stderr.txt)"
}

case_compare_shows_the_settings_that_differ() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o a >/dev/null 2>&1 || fail "run a failed"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --set training.batch_size=4 -o b >/dev/null 2>&1 || fail "run b failed"
  "$bnrun" compare a b >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q 'settings that differ: training.batch_size' stdout.txt || fail "$(cat stdout.txt)"
  [ "$(grep -cE '^(a|b) ' stdout.txt)" -eq 4 ] || fail "expected 4 rows: $(cat stdout.txt)"
}

# dataset.delimiter "auto": a ';' table trains without the key, says which delimiter it found, and its model reads
# the same file and the comma test split back; a wrong delimiter names the right one.
case_a_semicolon_table_trains_and_evaluates_without_a_delimiter_key() {
  sed 's/,/;/g' "$source_dir/datasets/iris.csv" >semi.csv
  "$bnrun" -c "$source_dir/configs/iris_bn.json" --set dataset.path="$PWD/semi.csv" --set training.epochs=5 \
    -o trained --save-model >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q "semi.csv: cells separated by ';' (found from the header and first rows" stderr.txt || fail "$(cat stderr.txt)"
  [ "$(jq -r .config.dataset.delimiter trained/results.json)" = "auto" ] || fail "config: $(jq .config.dataset trained/results.json)"
  [ "$(jq -r .delimiter trained/model_bn.json)" = ";" ] || fail "the model does not record ';'"
  "$bnrun" eval --model trained/model_bn.json --data semi.csv --json >semi.json 2>stderr.txt || fail "$(cat stderr.txt)"
  "$bnrun" eval --model trained/model_bn.json --data trained/test.csv --json >split.json 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(jq .accuracy split.json)" = "$(jq '.runs[] | select(.arm == "bn") | .test.accuracy' trained/results.json)" ] ||
    fail "test split: $(cat split.json)"
  "$bnrun" eval --model trained/model_bn.json --data semi.csv --delimiter , >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "a ';' file read on ',' was accepted"
  grep -q "the file's delimiter is ';'" stderr.txt || fail "$(cat stderr.txt)"
  expect_error "dataset.delimiter: expected \"auto\"" -- -c "$source_dir/configs/iris_bn.json" --set 'dataset.delimiter=";;"'
}

# configs/iris_notebook.json: the notebook's 30 test rows, the ones scikit-learn chose
# (tests/golden/sklearn_splits.json), written to test.csv in scikit-learn's order; the same for every seed.
case_the_notebook_config_tests_on_the_rows_scikit_learn_chose() {
  "$bnrun" -q -c "$source_dir/configs/iris_notebook.json" --set training.epochs=2 -o out --save-model >/dev/null \
    2>stderr.txt || fail "$(cat stderr.txt)"
  jq -r '.cases[] | select(.rows == 150 and .random_state == 42 and .labels == null) | .test[]' \
    "$source_dir/tests/golden/sklearn_splits.json" >rows.txt
  [ "$(grep -c '' rows.txt)" -eq 30 ] || fail "the golden file has no notebook case"
  # iris.csv line = row + 2 (the header is line 1); the features as read, then the label.
  # Compared as numbers: test.csv writes each float in its shortest form (6 for 6.0).
  local as_numbers='{ printf "%g,%g,%g,%g\n", $1, $2, $3, $4 }'
  while read -r row; do sed -n "$((row + 2))p" "$source_dir/datasets/iris.csv"; done <rows.txt |
    awk -F, "$as_numbers" >expected.csv
  tail -n +2 out/test.csv | awk -F, "$as_numbers" >actual.csv
  diff -q expected.csv actual.csv >/dev/null || fail "test rows differ: $(diff expected.csv actual.csv | head -5)"
  [ "$(jq -r .config.dataset.standardize out/results.json)" = "all_rows" ] || fail "$(jq .config.dataset out/results.json)"
  "$bnrun" -q -c "$source_dir/configs/iris_notebook.json" --set training.epochs=2 --set training.seed=9 -o out9 \
    --save-model >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
  cmp -s out/test.csv out9/test.csv || fail "another seed chose other test rows despite random_state 42"
}

# dataset.cross_validation: K runs per seed, each row tested once per seed, the corrected interval in the table,
# report and summary.json; a fixed split.random_state gives every seed the same folds.
case_cross_validation_runs_every_fold_and_corrects_the_interval() {
  "$bnrun" -c "$(iris_config)" --folds 5 --set training.epochs=3 --seeds 2 \
    -o cv >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '^iris_bn: 10 runs, 2 seeds 42–43 × 5 folds$' stdout.txt || fail "$(cat stdout.txt)"
  grep -q 'paired over 10 seed × fold runs' stdout.txt && grep -q 'Nadeau–Bengio corrected' stdout.txt ||
    fail "$(cat stdout.txt)"
  [ -d cv/001_seed=42_fold=1 ] && [ -d cv/010_seed=43_fold=5 ] || fail "$(ls cv)"
  [ "$(jq .config.dataset.cross_validation.fold cv/007_seed=43_fold=2/result.json)" = 2 ] || fail "no fold in results"
  # Each seed's five folds test 150 rows in all: 30 each here.
  local tested
  tested=$(cat cv/00[1-5]_seed=42_fold=*/result.json | jq -s '[.[].data.test_rows] | add')
  [ "$tested" = 150 ] || fail "the folds of seed 42 tested $tested rows"
  jq -e '.groups[0].differences[0].test_accuracy | .interval == "nadeau_bengio_corrected" and .test_to_train_ratio == 0.25' \
    cv/summary.json >/dev/null || fail "$(jq .groups[0].differences cv/summary.json)"
  grep -q "Nadeau and Bengio's corrected one" cv/report.md || fail "report.md does not say the interval is corrected"
}

# The last Dense layer's units left out: one per class (iris 3, wine 3, digits 10, breast cancer 2 with softmax),
# 1 for a sigmoid output; each trains, and summary shows the width.
case_the_output_width_left_out_follows_each_tables_classes() {
  local table target activation width
  for spec in iris.csv:species:softmax:3 wine.csv:cultivar:softmax:3 digits.csv:digit:softmax:10 \
    breast_cancer.csv:diagnosis:softmax:2 breast_cancer.csv:diagnosis:sigmoid:1; do
    IFS=: read -r table target activation width <<<"$spec"
    local settings=(--set "dataset.path=$source_dir/datasets/$table" --set "dataset.target=$target"
      --set "model.layers[4]={\"type\":\"dense\",\"activation\":\"$activation\"}")
    "$bnrun" summary -c "$(iris_config)" "${settings[@]}" >summary.txt 2>stderr.txt || fail "$spec: $(cat stderr.txt)"
    grep -qE "^dense_3 \(dense\) +\(None, $width\) .* $width units?, $activation$" summary.txt ||
      fail "$spec: $(grep dense_3 summary.txt | head -1)"
    "$bnrun" -q -c "$(iris_config)" "${settings[@]}" --set training.epochs=2 --arms bn >stdout.txt 2>stderr.txt ||
      fail "$spec: $(cat stderr.txt)"
    grep -qE '^bn +[01]\.[0-9]{4} ' stdout.txt || fail "$spec: $(cat stdout.txt)"
  done
}

# A command-line mistake points at the help of the command it was made in.
case_a_subcommand_option_mistake_points_at_that_commands_help() {
  "$bnrun" eval --model x.json >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "eval without --data was accepted"
  [ "$(cat stderr.txt)" = "error: --data is required (see bnrun eval --help)" ] || fail "$(cat stderr.txt)"
  "$bnrun" --threads 0 -c x.json >stdout.txt 2>stderr.txt
  grep -q '(see bnrun --help)$' stderr.txt || fail "$(cat stderr.txt)"
}

# --version: the version, then the build, BLAS, OpenMP, MPI and this CPU's level, for a bug report.
case_version_says_how_bnrun_was_built_and_what_it_uses() {
  "$bnrun" --version >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^bnrun [0-9]+\.[0-9]+\.[0-9]+$' stdout.txt || fail "$(cat stdout.txt)"
  grep -qE '^build: +[A-Za-z]+ build, (GCC|clang) [0-9.]+, C\+\+20$' stdout.txt || fail "$(cat stdout.txt)"
  grep -qE '^BLAS: +' stdout.txt && grep -qE '^threads: +OpenMP [0-9.]+ \([0-9]+\), [0-9]+ by default here$' stdout.txt ||
    fail "$(cat stdout.txt)"
  grep -qE '^MPI: +' stdout.txt && grep -qE '^CPU: +.+; kernels at the (baseline|avx2|avx512) level' stdout.txt ||
    fail "$(cat stdout.txt)"
}

# --- installable: shipped configs by name, help per command, man page, bash completion (packaging/) ---

# A --config name that is no file here and has no '/' is a shipped config: from the build folder, the source tree's
# configs/ (installed, PREFIX/share/bnrun/configs: tests/install/install_from_deb.sh). A file here wins.
case_a_config_name_that_is_no_file_here_is_a_shipped_config() {
  "$bnrun" -q -c smoke.json -o ran >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^bn ' stdout.txt || fail "$(cat stdout.txt)"
  [ -s "$work/ran/results.json" ] || fail "the relative --output is not in the current folder: $(ls -R)"
  [ "$(jq -r .config.dataset.path ran/results.json)" = "$source_dir/datasets/iris.csv" ] ||
    fail "not the shipped data: $(jq .config.dataset ran/results.json)"
  "$bnrun" validate --config-only -c iris_bn >stdout.txt 2>stderr.txt || fail "without .json: $(cat stderr.txt)"
  grep -q "$source_dir/configs/iris_bn.json: config is valid" stderr.txt || fail "$(cat stderr.txt)"
  jq '.training.epochs = 2' "$source_dir/configs/smoke.json" >smoke.json
  sed -i "s|\.\./datasets|$source_dir/datasets|" smoke.json
  "$bnrun" -q -c smoke.json -o here >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -c '' here/history_bn.csv)" -eq 3 ] || fail "the shipped config was read, not ./smoke.json"
  expect_error "nope.json: no such file in the current folder ($work) nor among the shipped configs in $source_dir/configs (there: cgpa_iq_bn, diabetes_bn, fashion_mnist_bn, iris_bn, iris_notebook, paper_fig1, smoke)" -- -c nope.json
  expect_error "sub/smoke.json: cannot open config file" -- -c sub/smoke.json
  expect_error "no such file in the current folder ($work) nor among the shipped configs in $source_dir/configs/claims (there: activation," -- claims nope.json
  "$bnrun" validate --config-only -c "$source_dir/configs/claims/depth.json" >/dev/null 2>&1 || fail "a claim by path"
}

# help_teaches COMMAND OPTION... -- ABSENT...: `bnrun COMMAND --help` lists each OPTION, none of ABSENT, examples of
# its own ("bnrun COMMAND" in two lines or more, none of the main help's), and the installed docs.
help_teaches() {
  local command=$1 option
  shift
  "$bnrun" "$command" --help >help.txt 2>&1 || fail "$command --help exited non-zero"
  listed() {  # an option line of the help: "  -c,--config FILE", "  --sweep KEY=..."; not a mention in a description
    grep -qE -- "^  ((-[a-zA-Z],)?$1|$1,--[a-z-]+)( |$)" help.txt
  }
  while [ "$1" != "--" ]; do
    listed "$1" || fail "bnrun $command --help lacks $1: $(cat help.txt)"
    shift
  done
  shift
  for option in "$@"; do
    ! listed "$option" || fail "bnrun $command --help lists $option, which it refuses"
  done
  [ "$(sed -n '/^Examples:/,$p' help.txt | grep -c "^  bnrun $command ")" -ge 1 ] || fail "no example of bnrun $command: $(cat help.txt)"
  [ "$(sed -n '/^Examples:/,$p' help.txt | grep -c "^  bnrun ")" -ge 2 ] || fail "fewer than two examples: $(cat help.txt)"
  ! grep -q -- '--shard 0/4\|--seeds 10 -o out/seeds' help.txt || fail "bnrun $command --help repeats the main examples"
  grep -q "^More: man bnrun; $source_dir/README.md, $source_dir/docs/[A-Z]*\.md" help.txt || fail "no docs named: $(tail -2 help.txt)"
}

case_validate_help_lists_its_options_and_examples() {
  help_teaches validate -c --config -s --set --sweep --seeds --arms --variant --config-only -q -v --log-level -- \
    --output --resume -j --threads --save-model
}
case_summary_help_lists_its_options_and_examples() {
  help_teaches summary -c --config --set --sweep --seeds --arms --variant --threads -q -- --output --config-only -j
}
case_predict_help_lists_its_options_and_examples() {
  help_teaches predict -m --model -d --data -o --output --delimiter --allow-special-file --threads -- --config --set --json
}
case_eval_help_lists_its_options_and_examples() {
  help_teaches eval -m --model -d --data --json --delimiter --threads -- --config --set --output
}
case_compare_help_lists_its_options_and_examples() {
  help_teaches compare -q -v -- --config --set --threads --output
}
case_claims_help_lists_its_options_and_examples() {
  help_teaches claims -j --jobs -o --output --doc --set --threads -q -- --config --seeds --sweep
}
case_collect_help_lists_its_options_and_examples() {
  help_teaches collect --threads -q -- --config --set --output
}
case_slurm_help_lists_its_options_and_examples() {
  help_teaches slurm -c --config --set --sweep --seeds --arms -o --output --dry-run --resume -j --partition --time \
    --cpus-per-task --mem --account --max-parallel -- --threads --save-model --overwrite
}
case_schema_help_lists_its_options_and_examples() {
  help_teaches schema -o --output -q -- --config --set --threads
}

# bnrun schema: the config's JSON Schema (draft 2020-12), from the reader itself (lib/config/schema.h); a config may
# name it in "$schema". (Its agreement with the reader: tests/config/test_schema.cpp, tests/config/schema_agreement.py.)
case_schema_prints_the_json_schema_of_the_config() {
  "$bnrun" schema >schema.json 2>stderr.txt || fail "$(cat stderr.txt)"
  jq -e '."$schema" == "https://json-schema.org/draft/2020-12/schema" and .type == "object" and
         .additionalProperties == false and (.properties | has("dataset") and has("model") and has("training") and
         has("experiment") and has("$schema"))' schema.json >/dev/null || fail "not the config's schema: $(head -c 400 schema.json)"
  jq -e '[.. | objects | select(has("$object"))] | length == 0' schema.json >/dev/null || fail "a placeholder is left"
  "$bnrun" schema -o written.schema.json 2>stderr.txt || fail "$(cat stderr.txt)"
  cmp -s schema.json written.schema.json || fail "-o wrote other bytes than stdout shows"
  [ -z "$(find . -name '*.tmp.*')" ] || fail "temporary files left"
  jq '. + {"$schema": "./written.schema.json"}' "$source_dir/configs/smoke.json" >smoke.json
  sed -i "s|\.\./datasets|$source_dir/datasets|" smoke.json
  "$bnrun" validate -c smoke.json >resolved.json 2>stderr.txt || fail "a config with \$schema: $(cat stderr.txt)"
  ! jq -e 'has("$schema")' resolved.json >/dev/null || fail "the resolved config repeats \$schema"
  jq '. + {"$schema": 1}' smoke.json >bad.json
  "$bnrun" validate --config-only -c bad.json >/dev/null 2>stderr.txt && fail "a number for \$schema was accepted"
  grep -qF 'bad.json: $schema: expected a string, got 1' stderr.txt || fail "$(cat stderr.txt)"
  expect_error "bnrun schema does not use --seeds" -- schema --seeds 3
}

# The man page the build wrote (packaging/) is what this bnrun writes, is clean roff, and has every option CLI11
# knows of every command, in that command's section (and the main options in OPTIONS).
case_the_man_page_lists_every_option_of_every_command() {
  local page command option section
  page=$(dirname "$bnrun")/packaging/bnrun.1
  [ -s "$page" ] || fail "no man page at $page"
  "$bnrun" --help-man >fresh.1 2>stderr.txt || fail "$(cat stderr.txt)"
  cmp -s "$page" fresh.1 || fail "$page is not what bnrun --help-man writes now"
  groff -man -ww -z "$page" >groff.txt 2>&1 && [ ! -s groff.txt ] || fail "groff warns: $(cat groff.txt)"
  sed 's/\\-/-/g; s/\\f[BIR]//g' "$page" >plain.txt
  section_of() {  # the text of one section of plain.txt
    awk -v start="$1" 'index($0, start) == 1 { inside = 1; next } /^\.S[HS] / { inside = 0 } inside' plain.txt
  }
  section_of '.SH OPTIONS' >section.txt
  for option in $("$bnrun" __complete options); do
    grep -qE -- "(^|, )$option( |,|$)" section.txt || fail "OPTIONS lacks $option"
  done
  [ "$(grep -c '' < <("$bnrun" __complete subcommands))" -eq 9 ] || fail "$("$bnrun" __complete subcommands)"
  for command in $("$bnrun" __complete subcommands); do
    section_of ".SS \"bnrun $command\"" >section.txt
    [ -s section.txt ] || fail "no section for bnrun $command"
    for option in $("$bnrun" __complete options "$command"); do
      grep -qE -- "(^|, )$option( |,|$)" section.txt || fail "the section of bnrun $command lacks $option"
    done
    grep -q "^  bnrun $command " section.txt || fail "bnrun $command's section has no example"
  done
  section_of ".SS \"bnrun compare\"" | grep -q '^paths$' || fail "compare's argument is missing"
  ! grep -q -- '--help-man\|__complete' plain.txt || fail "the page shows the hidden options"
}

# The completion script, sourced as bash does, with COMP_WORDS and COMP_CWORD set as for a TAB.
complete_words() {  # complete_words WORD...: the last word is the one being completed; prints COMPREPLY
  source "$source_dir/packaging/bash_completion/bnrun"
  COMP_WORDS=("$bnrun" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _bnrun
  printf '%s\n' "${COMPREPLY[@]}"
}

case_bash_completion_completes_commands_options_configs_and_keys() {
  [ "$(complete_words va)" = "validate" ] || fail "bnrun va: $(complete_words va)"
  [ "$(complete_words c | paste -sd,)" = "compare,claims,collect" ] || fail "bnrun c: $(complete_words c)"
  # --set training.: exactly the training keys of the resolved config (every default filled in).
  "$bnrun" validate --config-only -c iris_bn.json 2>/dev/null |
    jq -r 'paths(scalars) | select(.[0] == "training") |
           reduce .[] as $p (""; if ($p | type) == "number" then . + "[\($p)]" elif . == "" then $p else . + "." + $p end)' |
    sort >expected.txt
  [ "$(grep -c '' expected.txt)" -ge 8 ] || fail "jq found too few keys: $(cat expected.txt)"
  complete_words --set training. | sort >got.txt
  grep -vq '^training\.' got.txt && fail "keys outside training: $(cat got.txt)"
  comm -23 expected.txt got.txt >missing.txt
  [ ! -s missing.txt ] || fail "--set training. lacks: $(cat missing.txt)"
  grep -qx 'training.batch_size' got.txt && grep -qx 'training.optimizer.learning_rate' got.txt || fail "$(cat got.txt)"
  # Keys of the config given: smoke.json has 4 layers, iris_bn.json (the keys without -c) 5.
  complete_words -c "$source_dir/configs/smoke.json" --sweep 'model.layers[' >got.txt
  grep -qx 'model.layers\[3\].type' got.txt && ! grep -q 'model.layers\[4\]' got.txt || fail "smoke.json's layers: $(cat got.txt)"
  complete_words --sweep 'model.layers[4].' >got.txt
  grep -qx 'model.layers\[4\].units' got.txt || fail "iris_bn.json's layers: $(cat got.txt)"
  complete_words validate -c "$source_dir/configs/smoke.json" --set data >got.txt
  grep -qx 'dataset.path' got.txt && ! grep -qv '^dataset\.' got.txt || fail "$(cat got.txt)"
  # Options per command.
  complete_words validate -- >got.txt
  grep -qx -- '--config-only' got.txt && grep -qx -- '--set' got.txt || fail "validate --: $(cat got.txt)"
  ! grep -qx -- '--output' got.txt && ! grep -qx -- '--json' got.txt || fail "validate --: $(cat got.txt)"
  complete_words claims - >got.txt
  grep -qx -- '-j' got.txt && grep -qx -- '--doc' got.txt && grep -qx -- '-o' got.txt || fail "claims -: $(cat got.txt)"
  complete_words --sa >got.txt
  [ "$(cat got.txt)" = "--save-model" ] || fail "--sa: $(cat got.txt)"
  # Config files here and shipped config names.
  touch mine.json other.txt
  complete_words -c '' >got.txt
  grep -qx 'mine.json' got.txt && grep -qx 'smoke.json' got.txt && grep -qx 'iris_bn.json' got.txt || fail "-c: $(cat got.txt)"
  ! grep -qx 'other.txt' got.txt || fail "-c offers a file that is no config"
  cp "$source_dir/configs/smoke.json" .
  [ "$(complete_words -c sm)" = "smoke.json" ] || fail "smoke.json here and shipped: $(complete_words -c sm)"
  [ "$(complete_words --log-level w)" = "warn" ] || fail "--log-level w"
}

# Regression end to end on the shipped diabetes table: both arms train on the numeric target; results.json holds
# RMSE, MAE and R² in the target's units; those numbers are recomputed here, independently, from `bnrun predict` on
# the run's own test rows and the true targets in test.csv; eval agrees; and a study (5 seeds, a sweep) summarizes
# RMSE, lower being better.
case_regression_on_diabetes_end_to_end() {
  "$bnrun" -q -c "$source_dir/configs/diabetes_bn.json" --set training.epochs=30 -o out --save-model >stdout.txt \
    2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q "test RMSE" stdout.txt || fail "the table has no RMSE: $(cat stdout.txt)"
  [ "$(jq -r '.data.classes | length' out/results.json)" = 0 ] || fail "a regression run lists classes"
  jq -e '.data.target_scaling.scale > 10' out/results.json >/dev/null || fail "no target scaling: $(jq .data out/results.json)"
  local arm
  for arm in bn no_bn; do
    jq -e --arg arm "$arm" '.runs[] | select(.arm == $arm) | .test | (.accuracy == null) and (.rmse > 0) and
      (.mae > 0) and (.mae <= .rmse) and (.r2 < 1) and (.loss > 0)' out/results.json >/dev/null ||
      fail "$arm: $(jq -c --arg arm "$arm" '.runs[] | select(.arm == $arm) | .test' out/results.json)"
    "$bnrun" predict --model "out/model_$arm.json" --data out/test.csv -o predicted.csv 2>stderr.txt ||
      fail "predict: $(cat stderr.txt)"
    [ "$(head -1 predicted.csv)" = "row,predicted" ] || fail "predictions header: $(head -1 predicted.csv)"
    # RMSE, MAE and R² from the predictions and test.csv's last column (the target), in awk's doubles.
    paste -d, <(tail -n +2 out/test.csv | awk -F, '{print $NF}') <(tail -n +2 predicted.csv | cut -d, -f2) |
      awk -F, '{ y[NR] = $1; p[NR] = $2; sum += $1 }
        END { mean = sum / NR
              for (i = 1; i <= NR; i++) { r = y[i] - p[i]; se += r * r; ae += (r < 0 ? -r : r); tv += (y[i] - mean)^2 }
              printf "%.17g %.17g %.17g\n", sqrt(se / NR), ae / NR, 1 - se / tv }' >independent.txt
    jq -r --arg arm "$arm" '.runs[] | select(.arm == $arm) | .test | "\(.rmse) \(.mae) \(.r2)"' out/results.json >reported.txt
    paste -d' ' independent.txt reported.txt | awk '{
      for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > 1e-9 * (1 + ($i < 0 ? -$i : $i))) exit 1 } }' ||
      fail "$arm: metrics recomputed from predict ($(cat independent.txt)) differ from results.json ($(cat reported.txt))"
    "$bnrun" eval --json --model "out/model_$arm.json" --data out/test.csv >eval.json 2>stderr.txt || fail "$(cat stderr.txt)"
    [ "$(jq -c '{rmse, mae, r2, loss}' eval.json)" = \
      "$(jq -c --arg arm "$arm" '.runs[] | select(.arm == $arm) | .test | {rmse, mae, r2, loss}' out/results.json)" ] ||
      fail "$arm: eval --json differs: $(cat eval.json)"
  done
  "$bnrun" eval --model out/model_bn.json --data out/test.csv >eval.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q "^RMSE " eval.txt && grep -q "^R² " eval.txt || fail "eval: $(cat eval.txt)"
  # A study: 5 seeds × 2 learning rates, RMSE the headline and lower the better.
  "$bnrun" -q -c "$source_dir/configs/diabetes_bn.json" --set training.epochs=10 --seeds 5 \
    --sweep training.optimizer.learning_rate=0.001,0.01 -j 2 -o study >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q "bn test RMSE" stdout.txt || fail "study table: $(cat stdout.txt)"
  head -1 study/summary.csv | grep -q "test_rmse,test_mae,test_r2,test_loss,best_val_loss" ||
    fail "summary.csv: $(head -1 study/summary.csv)"
  [ "$(grep -c ',ok,' study/summary.csv)" = 20 ] || fail "expected 20 finished arms: $(cat study/summary.csv)"
  jq -e '[.. | objects | select(has("test_rmse")) | .test_rmse] | length > 0' study/summary.json >/dev/null ||
    fail "summary.json has no test_rmse"
}

# A claim on a regression metric: RMSE, lower being better, judged over seeds; a classification metric is refused.
case_a_claim_on_test_rmse_is_judged_lower_is_better() {
  cat >claim.json <<EOF
{"dataset": {"path": "$source_dir/datasets/diabetes.csv", "target": "progression"},
 "model": {"layers": [{"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
                      {"type": "dense"}]},
 "training": {"epochs": 5, "batch_size": 32, "loss": "mse"},
 "experiment": {"arms": ["bn", "no_bn"], "seeds": 5},
 "claim": {"title": "BN on regression", "question": "Does BN lower the test RMSE?", "metric": "test_rmse",
           "better": "lower"}}
EOF
  "$bnrun" -q claims claim.json --doc doc/claims.md -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^\| BN on regression \| bn − no_bn \| `test_rmse` \| \*\*(supported|not supported|inconclusive)\*\* \|' \
    doc/claims.md || fail "no verdict: $(cat doc/claims.md)"
  grep -q 'Metric: `test_rmse` (lower is better)' doc/claims.md || fail "$(cat doc/claims.md)"
  sed -i 's/"metric": "test_rmse"/"metric": "test_accuracy"/; s/"better": "lower"/"better": "higher"/' claim.json
  rm -rf out
  expect_error 'claim.metric: "test_accuracy" has no value for a regression run (training.loss "mse")' -- \
    claims claim.json --doc doc2/claims.md
}

case_regression_mistakes_are_one_line_and_exit_2() {
  local config="$source_dir/configs/diabetes_bn.json"
  expect_error "model.layers[4]: training.loss \"mse\" is a regression loss: the model must end in a Dense layer of 1 unit with no activation" \
    -- -c "$config" --set 'model.layers[4]={"type":"dense","units":1,"activation":"sigmoid"}'
  expect_error 'dataset.stratify: a regression target (training.loss "mse") has no classes to stratify by' \
    -- -c "$config" --set dataset.stratify=true
  expect_error 'training.early_stopping.monitor: a regression target (training.loss "mse") has no classes' \
    -- -c "$config" --set 'training.early_stopping={"monitor":"val_accuracy"}'
  expect_error 'model.layers[4].units: is 3, but a regression output predicts one number' \
    -- -c "$config" --set 'model.layers[4].units=3'
  # A target of fractional numbers taken as classes (no regression loss) says what to do.
  awk -F, -v OFS=, 'NR > 1 { $NF = $NF / 7 } { print }' "$source_dir/datasets/diabetes.csv" >fractional.csv
  jq --arg data "$source_dir/datasets/diabetes.csv" 'del(.dataset.standardize_target) | del(.training.loss) |
    .dataset.path = $data | .model.layers[4] = {"type": "dense", "activation": "softmax"}' "$config" >classes.json
  expect_error "column 'progression' holds 214 distinct fractional numbers" -- -c classes.json \
    --set 'dataset.path="'"$PWD"'/fractional.csv"'
  expect_error 'for regression set training.loss to "mse", "mae" or "huber"' -- -c classes.json \
    --set 'dataset.path="'"$PWD"'/fractional.csv"'

  # A target cell that is no number names its line.
  { head -1 "$source_dir/datasets/diabetes.csv"; sed -n 2,40p "$source_dir/datasets/diabetes.csv"; echo '1,2,3,4,5,6,7,8,9,10,high'; } >bad.csv
  expect_error "bad.csv:41: the target column 'progression' holds \"high\", not a finite number" \
    -- -c "$config" --set dataset.path="$PWD/bad.csv"
}

# --set and --sweep also offer the keys the config lacks, from the schema: dataset.cross_validation is in no shipped
# config. The config's own paths (its layers by index) still come first.
case_bash_completion_offers_keys_the_config_lacks_from_the_schema() {
  complete_words -c "$source_dir/configs/smoke.json" --set dataset.cross >got.txt
  grep -qx 'dataset.cross_validation' got.txt && grep -qx 'dataset.cross_validation.folds' got.txt &&
    grep -qx 'dataset.cross_validation.fold' got.txt || fail "--set dataset.cross: $(cat got.txt)"
  ! grep -qv '^dataset\.cross_validation' got.txt || fail "--set dataset.cross: $(cat got.txt)"
  complete_words --sweep training.schedule. >got.txt
  grep -qx 'training.schedule.every_epochs' got.txt && grep -qx 'training.schedule.min_learning_rate' got.txt ||
    fail "--sweep training.schedule.: $(cat got.txt)"
  complete_words --set 'model.layers[' >got.txt
  grep -qx 'model.layers\[0\].units' got.txt || fail "the config's layers: $(cat got.txt)"
  # A config that does not read still gets the schema's keys.
  printf '{"dataset": 5}\n' >broken.json
  complete_words -c broken.json --set dataset.sp >got.txt
  grep -qx 'dataset.split.method' got.txt || fail "a broken config: $(cat got.txt)"
  complete_words schema - >got.txt
  grep -qx -- '--output' got.txt || fail "schema -: $(cat got.txt)"
}

"case_$name"
