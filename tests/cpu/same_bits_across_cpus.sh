#!/usr/bin/env bash
# The every-CPU guarantee (docs/SEMANTICS.md, "Every CPU"), end to end: one bnrun binary runs small studies on
# this machine at the level it dispatches to, and again either capped to the baseline level (mode "levels") or
# under qemu-x86_64 emulating an older CPU without AVX, AVX2 or FMA (mode "qemu"), and every number in the
# results (test metrics, history, step history, summaries) must be the same bits. Timing, the environment and
# memory are left out of the comparison; they describe the machine, not the result.
#
# Two libraries bnrun calls choose code by CPU, and their FMA and non-FMA versions round differently
# (docs/SEMANTICS.md, "Every CPU"): OpenBLAS's sgemm kernel and glibc's exp and log. The native side is made
# to choose what the emulated CPU gets (OPENBLAS_CORETYPE, GLIBC_TUNABLES), so what is compared is bnrun's own
# code: its kernels at the level this CPU dispatches to (BNRUN_CPU_LEVEL caps it) against the baseline level.
#
#   same_bits_across_cpus.sh BNRUN SOURCE_DIR levels|qemu   exit 0 = same bits, 77 = skipped (no qemu-x86_64)
set -u

bnrun=$1
source_dir=$2
mode=$3
cpu_model=Nehalem   # SSE4.2, no AVX: the x86-64 baseline level for bnrun, where this machine runs avx2 or avx512
openblas_core=Nehalem
glibc_without_fma=glibc.cpu.hwcaps=-AVX2_Usable,-FMA_Usable

if [ "$mode" = qemu ] && ! command -v qemu-x86_64 >/dev/null; then
  echo "SKIP: qemu-x86_64 not found (Debian package qemu-user, installed by scripts/install-deps.sh)"
  exit 77
fi
command -v jq >/dev/null || { echo "FAIL: jq not found"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The studies: tiny batches (BN's statistics over 2 rows), a PyTorch-style BN (momentum 0.9, unbiased running
# variance) evaluated on the test split every 5 steps (inference with the running statistics), an SGD run, and the
# layers that replace BatchNorm (LayerNorm, GroupNorm, Dropout: their kernels dispatch by level too).
iris=$source_dir/configs/iris_bn.json
studies=(
  "batch_size|-c $iris --set training.epochs=20 --seeds 2 --sweep training.batch_size=2,8"
  "momentum|-c $iris --set training.epochs=10 --set model.layers[1].momentum=0.9 --set model.layers[3].running_variance=unbiased --set training.evaluate_every_steps=5"
  "sgd|-c $source_dir/configs/smoke.json --set training.optimizer.name=sgd --set training.optimizer.learning_rate=0.05"
  "norms|-c $iris --set training.epochs=10 --arms layernorm,groupnorm,dropout"
)

run_all() {  # run_all SIDE COMMAND_PREFIX...: every study into $work/SIDE/<study>
  local side=$1
  shift
  for study in "${studies[@]}"; do
    local name=${study%%|*}
    # shellcheck disable=SC2086  # the arguments are split on purpose
    "$@" "$bnrun" -q ${study#*|} -o "$work/$side/$name" >"$work/$side.$name.txt" 2>&1 ||
      fail "$side $name: $(cat "$work/$side.$name.txt")"
  done
}

start=$SECONDS
if [ "$mode" = qemu ]; then
  run_all native env OPENBLAS_CORETYPE=$openblas_core GLIBC_TUNABLES=$glibc_without_fma
  # OpenBLAS takes OPENBLAS_CORETYPE from the environment over its own CPU test: a machine that sets it (some set
  # Haswell globally) would make the emulated CPU run AVX2 kernels and die of SIGILL, so both sides name Nehalem.
  run_all other env OPENBLAS_CORETYPE=$openblas_core qemu-x86_64 -cpu "$cpu_model"
  other="qemu -cpu $cpu_model"
else
  run_all native env
  run_all other env BNRUN_CPU_LEVEL=baseline
  other="BNRUN_CPU_LEVEL=baseline"
fi

# The numbers of a results/summary file: no timings, environment or memory; jq prints every double with 17
# significant digits, so equal text means equal bits.
numbers() {
  jq -S 'walk(if type == "object" then del(.environment, .timings, .seconds, .train_seconds, .load_seconds,
                                         .samples_per_second, .peak_rss_bytes) else . end)' "$1"
}

compared=0
while IFS= read -r file; do
  relative=${file#"$work/native/"}
  [ -f "$work/other/$relative" ] || fail "$relative is missing under $other"
  if ! diff <(numbers "$file") <(numbers "$work/other/$relative") >"$work/diff.txt"; then
    fail "$relative differs between this CPU and $other:
$(head -20 "$work/diff.txt")"
  fi
  compared=$((compared + 1))
done < <(find "$work/native" -name '*.json' ! -name config.json ! -name plan.json | sort)
[ "$compared" -ge 7 ] || fail "only $compared result files compared"

echo "ok: $compared result files identical, this CPU against $other, in $((SECONDS - start)) s"
