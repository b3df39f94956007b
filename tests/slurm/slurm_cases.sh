#!/usr/bin/env bash
# bnrun slurm against a real single-node Slurm cluster (tests/slurm/cluster.sh starts and stops it): a study
# submitted as a job array with a collect job leaves what one process leaves; a cancelled task's run is recorded
# as interrupted and `--resume` submits only the missing runs; sbatch's own errors reach the user in one line.
#
#   slurm_cases.sh BNRUN SOURCE_DIR      exit 0 = every check passed
set -u
bnrun=$1
source_dir=$2
work=$(mktemp -d)
chmod 711 "$work"  # munged wants every folder above its socket searchable by all
source "$source_dir/tests/slurm/cluster.sh"
trap 'stop_cluster; rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/*/slurm/logs/*.out; do [ -f "$log" ] && { echo "--- $log"; tail -5 "$log"; }; done
  exit 1
}
cd "$work" || exit 1
start=$SECONDS
start_cluster "$work/cluster" || fail "the cluster did not start"
echo "cluster up in $((SECONDS - start)) s"

source "$source_dir/tests/cli/same_study.sh"

# The job ids in bnrun slurm's first line: "submitted array job A (...) and collect job C (...)".
job_ids() { sed -nE 's/^submitted array job ([0-9]+) .* collect job ([0-9]+) .*/\1 \2/p' "$1"; }
job_state() { squeue -h -t all -j "$1" -o %T 2>/dev/null | sort -u | tr '\n' ' '; }

# 1. A 3-seed × 2-value iris study as an array of 6 tasks and a collect job: the same folder as one process.
study=(-c "$source_dir/configs/iris_bn.json" --seeds 3 --sweep training.batch_size=16,32 --set training.epochs=5)
"$bnrun" -q "${study[@]}" -o whole >whole.txt 2>stderr.txt || fail "one process: $(cat stderr.txt)"
start=$SECONDS
"$bnrun" slurm "${study[@]}" -o array --max-parallel 4 >submitted.txt 2>stderr.txt || fail "submit: $(cat stderr.txt)"
read -r array_job collect_job < <(job_ids submitted.txt)
[ -n "$collect_job" ] || fail "no job ids in: $(cat submitted.txt)"
wait_for_jobs "$array_job,$collect_job" 120 || fail "the jobs did not finish in 120 s: $(squeue -t all)"
echo "array of 6 tasks and collect job done in $((SECONDS - start)) s"
[ "$(job_state "$array_job")" = "COMPLETED " ] || fail "array job: $(job_state "$array_job")"
[ "$(job_state "$collect_job")" = "COMPLETED " ] || fail "collect job: $(job_state "$collect_job")"
[ -s "array/slurm/logs/collect_$collect_job.out" ] || fail "no collect log"
same_study whole array

# 2. scancel on a running task: its run is recorded as interrupted, the collect job is cancelled with it, and
#    --resume submits that run alone.
long=(-c "$source_dir/configs/iris_bn.json" --seeds 2 --arms bn --set training.epochs=20000 --set training.batch_size=8)
"$bnrun" slurm "${long[@]}" -o cancelled --max-parallel 1 >submitted.txt 2>stderr.txt || fail "submit: $(cat stderr.txt)"
read -r array_job collect_job < <(job_ids submitted.txt)
waited=0
until [ "$(job_state "${array_job}_0")" = "RUNNING " ] && [ -d cancelled/001_seed=42 ]; do
  sleep 0.2
  waited=$((waited + 1))
  [ "$waited" -lt 300 ] || fail "task 0 never ran: $(squeue -t all)"
done
sleep 1
scancel "${array_job}_0"
# The other task and the resumed one train the long run to its end: about 3 s in a release build, but 30–40 s under
# the sanitizers alone and over 120 s beside the rest of the sanitizer suite (-j 2; the whole case took 292 s there
# once): the waits allow 420 s each, and ctest 1200 s for the case.
wait_for_jobs "$array_job,$collect_job" 420 || fail "the jobs did not end after scancel: $(squeue -t all)"
[ "$(job_state "${array_job}_0")" = "CANCELLED " ] || fail "task 0: $(job_state "${array_job}_0")"
[ "$(job_state "${array_job}_1")" = "COMPLETED " ] || fail "task 1: $(job_state "${array_job}_1")"
case "$(job_state "$collect_job")" in "CANCELLED "|"") ;; *) fail "collect job after a cancelled task: $(job_state "$collect_job")" ;; esac
grep -q '"status": "interrupted"' cancelled/001_seed=42/result.json || fail "run 1 is not recorded as interrupted"
grep -q '"status": "ok"' cancelled/002_seed=43/result.json || fail "run 2 did not finish"
"$bnrun" slurm "${long[@]}" -o cancelled --resume >resubmitted.txt 2>stderr.txt || fail "resume: $(cat stderr.txt)"
grep -q "(1 task for 1 run)" resubmitted.txt || fail "resume submitted more than the missing run: $(cat resubmitted.txt)"
read -r array_job collect_job < <(job_ids resubmitted.txt)
wait_for_jobs "$array_job,$collect_job" 420 || fail "the resubmitted jobs did not finish in 420 s: $(squeue -t all)"
[ "$(job_state "$collect_job")" = "COMPLETED " ] || fail "collect job after resume: $(job_state "$collect_job")"
grep -q '"status": "ok"' cancelled/001_seed=42/result.json || fail "the resumed run did not finish"
"$bnrun" -q collect cancelled >/dev/null 2>stderr.txt || fail "the resumed study is incomplete: $(cat stderr.txt)"
"$bnrun" slurm "${long[@]}" -o cancelled --resume >nothing.txt 2>stderr.txt || fail "$(cat stderr.txt)"
grep -q "nothing to submit" nothing.txt || fail "a finished study was submitted again: $(cat nothing.txt)"

# 3. Slurm's own errors: an impossible request is refused by sbatch (EnforcePartLimits), in one line, exit 2.
"$bnrun" slurm "${study[@]}" -o refused --partition nope >stdout.txt 2>stderr.txt
[ $? -eq 2 ] || fail "an sbatch that failed gave exit 0"
[ "$(wc -l <stderr.txt)" -eq 1 ] && grep -qE '^error: sbatch failed \(exit [0-9]+\): sbatch: error: .*[Pp]artition' stderr.txt ||
  fail "$(cat stderr.txt)"
PATH=/nonexistent "$bnrun" slurm "${study[@]}" -o nosbatch >stdout.txt 2>stderr.txt
[ $? -eq 2 ] && grep -q '^error: sbatch: not found on PATH' stderr.txt || fail "$(cat stderr.txt)"
echo "ok: slurm cases in $SECONDS s"
