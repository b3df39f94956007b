#!/usr/bin/env bash
# Data-parallel training under mpirun (training.distributed, the sync_bn and local_bn arms): agreement with one
# process, bit-identity run to run, local BN as Ghost BN, and how a job fails. Registered only in an MPI build.
#
#   mpi_cases.sh --list                  prints the case names (CMake registers one ctest per case)
#   mpi_cases.sh BNRUN SOURCE_DIR CASE   runs one case; exit 0 = pass
#
# Agreement is measured on the saved models (--save-model) as the largest |a − b| / max(|a|, |b|, 0.1) over every
# tensor element (relative for elements of 0.1 and up, an absolute 1e-6 below, where a relative error of a weight
# that is nearly zero says nothing), and on the test loss as |a − b| / |a|.
set -u

if [ "${1:-}" = "--list" ]; then
  grep -oE '^case_[a-z0-9_]+' "$0" | sed 's/^case_//'
  exit 0
fi

source "$(dirname "$0")/../cli/common.sh" "$@"

# As root (CI, containers) OpenMPI refuses to start without these; more ranks than cores need yield_when_idle,
# or a waiting rank spins and holds the core the others need (docs/SCALE.md).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OMP_NUM_THREADS=1
# Under the sanitizer build, LeakSanitizer reports what OpenMPI itself leaves allocated at MPI_Finalize (much of it
# in plugins already unloaded, so it cannot be suppressed by name): not bnrun's, and every other test checks
# bnrun's own leaks. Address and undefined-behaviour checks stay on.
if [ -n "${ASAN_OPTIONS:-}" ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"; fi
tolerance=1e-5

# run_ranks K ARGS...: bnrun under mpirun with K ranks (K = 0: bnrun alone, no mpirun).
run_ranks() {
  local ranks=$1
  shift
  if [ "$ranks" -eq 0 ]; then
    timeout 300 "$bnrun" "$@"
  else
    timeout 300 mpirun -n "$ranks" --oversubscribe --bind-to none "$bnrun" "$@"
  fi
}

# weights_difference A B: the largest element difference of two model files, as above.
weights_difference() {
  jq -n --slurpfile a "$1" --slurpfile b "$2" '
    def flat: [.weights | .. | numbers];
    ($a[0] | flat) as $x | ($b[0] | flat) as $y
    | if ($x | length) != ($y | length) then error("the models have different shapes") else
      [range(0; $x | length) | (($x[.] - $y[.]) | fabs) / ([($x[.] | fabs), ($y[.] | fabs), 0.1] | max)] | max end'
}

# loss_difference A B ARM: |a − b| / |a| of the arm's test loss in two results.json files.
loss_difference() {
  jq -n --slurpfile a "$1" --slurpfile b "$2" --arg arm "$3" '
    ($a[0].runs[] | select(.arm == $arm) | .test.loss) as $x | ($b[0].runs[] | select(.arm == $arm) | .test.loss) as $y
    | (($x - $y) | fabs) / ($x | fabs)'
}

within_tolerance() {
  awk -v value="$1" -v limit="$tolerance" 'BEGIN { exit !(value <= limit) }'
}

iris_options() {
  echo "-c $source_dir/configs/iris_bn.json --set training.epochs=1 --set training.batch_size=40
        --set dataset.validation_fraction=0 --set training.distributed=true --save-model -q"
}

# A Fashion-MNIST-shaped CSV (a label, then 784 pixels 0–255) of 250 rows, and a config for it: 200 training rows
# in batches of 40, which 1, 2 and 4 ranks split evenly. SGD, not Adam: Adam's first steps move a weight by about
# the learning rate whatever its gradient's size, so a gradient that is zero but for rounding (adding the ranks'
# sums in another order) moves it by up to 1e-3 either way; with Adam the weights here agree to 1.4e-5.
write_fashion_shaped() {
  awk 'BEGIN {
    srand(7)
    header = "label"
    for (p = 0; p < 784; ++p) header = header ",p" p
    print header
    for (i = 0; i < 250; ++i) {
      label = i % 10
      line = label
      for (p = 0; p < 784; ++p) line = line "," int(rand() * 128 + (p % 10 == label ? 127 : 0))
      print line
    }
  }' >fashion.csv
  cat >fashion.json <<JSON
{
  "dataset": {"path": "fashion.csv", "target": "label", "standardize": true, "test_fraction": 0.2},
  "model": {"layers": [{"type": "dense", "units": 64, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 32, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 10, "activation": "softmax"}]},
  "training": {"epochs": 1, "batch_size": 40, "seed": 3, "distributed": true,
               "optimizer": {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9}}
}
JSON
}

# sync_bn on K = 1, 2, 4 ranks against one process: within the tolerance; K = 1 the same bits as bnrun alone.
check_sync_bn_agreement() {
  local options=$1
  # shellcheck disable=SC2086
  run_ranks 0 $options --arms sync_bn -o alone >alone.txt 2>stderr.txt || fail "one process: $(cat stderr.txt)"
  for ranks in 1 2 4; do
    # shellcheck disable=SC2086
    run_ranks "$ranks" $options --arms sync_bn -o "ranks$ranks" >stdout.txt 2>stderr.txt ||
      fail "$ranks ranks: $(cat stderr.txt)"
    [ "$(grep -c '^variant' stdout.txt)" -eq 1 ] || fail "$ranks ranks: expected one table (rank 0's): $(cat stdout.txt)"
    local weights loss
    weights=$(weights_difference alone/model_sync_bn.json "ranks$ranks/model_sync_bn.json") || fail "jq"
    loss=$(loss_difference alone/results.json "ranks$ranks/results.json" sync_bn) || fail "jq"
    echo "K=$ranks: weights $weights, test loss $loss"
    within_tolerance "$weights" || fail "$ranks ranks: the weights differ by $weights"
    within_tolerance "$loss" || fail "$ranks ranks: the test loss differs by $loss"
  done
  cmp -s alone/model_sync_bn.json ranks1/model_sync_bn.json || fail "mpirun -n 1 trained other bits than one process"
}

case_sync_bn_on_1_2_4_ranks_matches_one_process_on_iris() {
  check_sync_bn_agreement "$(iris_options)"
}

# Regression: the numeric targets travel with each rank's slice of the batch.
case_sync_bn_on_1_2_4_ranks_matches_one_process_on_diabetes_regression() {
  check_sync_bn_agreement "-c $source_dir/configs/diabetes_bn.json --set training.epochs=1 --set training.batch_size=40
    --set dataset.validation_fraction=0 --set training.distributed=true --save-model -q"
}

case_sync_bn_on_1_2_4_ranks_matches_one_process_on_a_fashion_mnist_shaped_csv() {
  write_fashion_shaped
  check_sync_bn_agreement "-c fashion.json --save-model -q"
}

case_the_same_ranks_give_the_same_bits() {
  for attempt in 1 2; do
    # shellcheck disable=SC2046
    run_ranks 2 $(iris_options) --arms sync_bn,local_bn -o "run$attempt" >/dev/null 2>stderr.txt ||
      fail "$(cat stderr.txt)"
  done
  for file in model_sync_bn.json model_local_bn.json test.csv; do
    cmp -s "run1/$file" "run2/$file" || fail "$file differs between two runs on 2 ranks"
  done
  [ "$(jq -c '[.runs[] | .test]' run1/results.json)" = "$(jq -c '[.runs[] | .test]' run2/results.json)" ] ||
    fail "the test results differ"
}

# Local BN on K ranks of 40/K rows each is Ghost BN with virtual batches of 40/K rows in one process: the same
# normalization, and the running statistics averaged over the slices as Ghost BN averages its sub-batches'.
case_local_bn_on_k_ranks_equals_ghost_bn_with_virtual_batch_of_batch_over_k() {
  for ranks in 2 4; do
    local virtual=$((40 / ranks))
    # shellcheck disable=SC2046
    run_ranks "$ranks" $(iris_options) --arms local_bn -o "local$ranks" >/dev/null 2>stderr.txt ||
      fail "$(cat stderr.txt)"
    # shellcheck disable=SC2046
    run_ranks 0 $(iris_options) --set "experiment.arms=[{\"kind\":\"ghost_bn\",\"virtual_batch_size\":$virtual}]" \
      -o "ghost$ranks" >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
    local weights
    weights=$(weights_difference "ghost$ranks/model_ghost_bn.json" "local$ranks/model_local_bn.json") || fail "jq"
    echo "K=$ranks: local_bn vs ghost_bn($virtual): weights $weights"
    within_tolerance "$weights" || fail "$ranks ranks: local_bn and ghost_bn differ by $weights"
  done
}

case_a_bad_config_gives_one_error_and_every_rank_exits_2() {
  run_ranks 2 -c "$source_dir/configs/iris_bn.json" --set training.distributed=true --set training.batch_size=0 \
    -o out >stdout.txt 2>stderr.txt
  local code=$?
  [ "$code" -eq 2 ] || fail "exit code $code, expected 2: $(cat stderr.txt)"
  [ "$(grep -c '^error: ' stderr.txt)" -eq 1 ] || fail "expected one error line: $(cat stderr.txt)"
  grep -q 'training.batch_size' stderr.txt || fail "the error does not name the key: $(cat stderr.txt)"
  [ ! -s stdout.txt ] || fail "stdout is not empty: $(cat stdout.txt)"
}

# kill -9 of one rank mid-training: mpirun notices and ends the others (no hang), with a message that says so.
case_a_killed_rank_ends_the_job() {
  mpirun -n 2 --bind-to none "$bnrun" -c "$source_dir/configs/iris_bn.json" --set training.distributed=true \
    --set training.epochs=1000000 --set training.batch_size=8 --arms sync_bn -q >stdout.txt 2>stderr.txt &
  local launcher=$! ranks=""
  for _ in $(seq 100); do
    ranks=$(pgrep -P "$launcher" | tr '\n' ' ')
    [ "$(echo "$ranks" | wc -w)" -eq 2 ] && break
    sleep 0.1
  done
  [ "$(echo "$ranks" | wc -w)" -eq 2 ] || { kill "$launcher"; fail "the two ranks did not start: $ranks"; }
  sleep 1
  kill -9 "$(echo "$ranks" | awk '{ print $2 }')"
  for _ in $(seq 300); do
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$launcher" 2>/dev/null; then
    kill "$launcher"
    fail "the job still runs 30 s after a rank was killed"
  fi
  wait "$launcher"
  local code=$?
  [ "$code" -ne 0 ] || fail "the job exited 0 after a rank was killed"
  grep -q 'signal 9' stderr.txt || fail "no message about the killed rank: $(cat stderr.txt)"
}

# --- a study's runs handed out to the ranks (no training.distributed; study/session.h) ---

source "$source_dir/tests/cli/same_study.sh"
study_args=(-c "$source_dir/configs/iris_bn.json" --seeds 4 --sweep training.batch_size=8,16 --set training.epochs=20)

case_a_study_handed_out_to_3_ranks_equals_the_one_process_study() {
  run_ranks 0 "${study_args[@]}" -q -o whole >whole.txt 2>stderr.txt || fail "one process: $(cat stderr.txt)"
  run_ranks 3 "${study_args[@]}" -o spread >spread.txt 2>stderr.txt || fail "3 ranks: $(cat stderr.txt)"
  grep -q 'info: 8 runs handed out to 3 processes' stderr.txt || fail "not handed out: $(cat stderr.txt)"
  diff whole.txt spread.txt >/dev/null || fail "the table differs: $(diff whole.txt spread.txt)"
  [ "$(ls -d spread/0*_seed=* | wc -l)" -eq 8 ] || fail "run folders: $(ls spread)"
  same_study whole spread
}

case_a_handed_out_study_resumes_and_keeps_finished_runs() {
  run_ranks 2 "${study_args[@]}" -q -o spread >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
  rm spread/003_*/result.json spread/006_*/result.json
  run_ranks 2 "${study_args[@]}" -o spread --resume >again.txt 2>stderr.txt || fail "resume: $(cat stderr.txt)"
  # Rank 0 logs the runs it kept or trained; the other rank's are in the table, read from their folders.
  [ -s spread/003_batch_size=8_seed=44/result.json ] && [ -s spread/006_batch_size=16_seed=43/result.json ] ||
    fail "the missing runs were not trained again: $(ls spread/*)"
  run_ranks 0 "${study_args[@]}" -q -o whole >whole.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  diff whole.txt again.txt >/dev/null || fail "the resumed table differs: $(diff whole.txt again.txt)"
}

# An output folder rank 0 cannot use: every rank stops before training, with rank 0's one error line.
case_a_handed_out_study_refused_by_rank_0_stops_every_rank_with_one_error() {
  mkdir notours && echo data >notours/file.txt
  run_ranks 2 "${study_args[@]}" -q -o notours >stdout.txt 2>stderr.txt
  local code=$?
  [ "$code" -eq 2 ] || fail "exit code $code, expected 2: $(cat stderr.txt)"
  [ "$(grep -c '^error: ' stderr.txt)" -eq 1 ] || fail "expected one error line: $(cat stderr.txt)"
  grep -q '^error: notours: the --output folder is not empty' stderr.txt || fail "$(cat stderr.txt)"
  [ "$(ls notours)" = "file.txt" ] || fail "the folder was written to: $(ls -a notours)"
}

case_a_study_mixing_distributed_and_handed_out_runs_is_refused() {
  run_ranks 2 "${study_args[@]}" --sweep training.distributed=true,false -q -o mixed >stdout.txt 2>stderr.txt
  local code=$?
  [ "$code" -eq 2 ] || fail "exit code $code, expected 2: $(cat stderr.txt)"
  grep -q 'under mpirun, either every run sets training.distributed' stderr.txt ||
    fail "$(cat stderr.txt)"
  [ ! -e mixed ] || fail "an output folder was made"
}

# Under mpirun, bnrun claims trains a distributed claim's runs together and hands out every other claim's runs, one
# study after another; the document equals the one-process document (but for its timing line).
case_claims_under_mpirun_equal_the_one_process_claims() {
  local claim
  for claim in first second; do
    cat >"$claim.json" <<EOF
{"dataset": {"path": "$source_dir/datasets/iris.csv", "target": "species"},
 "model": {"layers": [{"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]},
 "training": {"epochs": 3, "batch_size": 16},
 "experiment": {"arms": ["bn", "no_bn"], "seeds": 5},
 "claim": {"title": "Claim $claim", "question": "q?", "metric": "test_accuracy", "better": "higher"}}
EOF
  done
  cat >together.json <<EOF
{"dataset": {"path": "$source_dir/datasets/iris.csv", "target": "species", "validation_fraction": 0},
 "model": {"layers": [{"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]},
 "training": {"epochs": 3, "batch_size": 40, "distributed": true},
 "experiment": {"arms": ["sync_bn", "local_bn"], "reference": "local_bn", "seeds": 3},
 "claim": {"title": "Together", "question": "q?", "metric": "test_loss", "better": "lower"}}
EOF
  run_ranks 0 claims first.json second.json -q --doc alone/claims.md -o alone_out >/dev/null 2>stderr.txt ||
    fail "one process: $(cat stderr.txt)"
  run_ranks 2 claims first.json second.json together.json -q --doc ranks/claims.md -o ranks_out >stdout.txt \
    2>stderr.txt || fail "2 ranks: $(cat stderr.txt)"
  [ "$(grep -c '^Claim first' stdout.txt)" -eq 1 ] || fail "expected rank 0's table alone: $(cat stdout.txt)"
  local alone ranks
  for claim in "Claim first" "Claim second"; do
    alone=$(sed -n "/^## $claim/,/^\*\*Verdict/p" alone/claims.md | grep -v '^\*\*Setup')
    ranks=$(sed -n "/^## $claim/,/^\*\*Verdict/p" ranks/claims.md | grep -v '^\*\*Setup')
    grep -q '^\*\*Verdict' <<<"$alone" || fail "no section for $claim: $(cat alone/claims.md)"
    [ "$alone" = "$ranks" ] || fail "$claim differs: $(diff alone/claims.md ranks/claims.md)"
  done
  grep -q '^## Together' ranks/claims.md || fail "no distributed claim: $(cat ranks/claims.md)"
  [ "$(ls -d ranks_out/together/0*_seed=* | wc -l)" -eq 3 ] || fail "run folders: $(ls ranks_out/together)"
}

# --resume of a study trained by every rank together: rank 0 keeps the finished runs and every rank skips them, so
# the ranks still meet each exchange; the run trained again is bit-identical to the first time (fixed K).
case_a_distributed_study_resumes_under_mpirun() {
  # shellcheck disable=SC2046
  run_ranks 2 $(iris_options) --arms sync_bn,local_bn --seeds 3 -o study >first.txt 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  cp study/002_seed=43/result.json first_result.json
  touch -d '2001-01-01' study/001_seed=42/result.json study/003_seed=44/result.json
  rm study/002_seed=43/result.json
  # shellcheck disable=SC2046
  run_ranks 2 $(iris_options) --arms sync_bn,local_bn --seeds 3 -o study --resume >again.txt 2>stderr.txt ||
    fail "resume: $(cat stderr.txt)"
  [ -z "$(find study/001_seed=42/result.json study/003_seed=44/result.json -newermt 2002-01-01)" ] ||
    fail "a finished run was trained again"
  diff first.txt again.txt >/dev/null || fail "the table differs: $(diff first.txt again.txt)"
  local before after
  before=$(jq -c '[.runs[] | .test]' first_result.json) || fail "jq"
  after=$(jq -c '[.runs[] | .test]' study/002_seed=43/result.json) || fail "jq"
  [ -n "$before" ] && [ "$before" = "$after" ] || fail "the run trained again differs: $before, now $after"
}

"case_$name"
