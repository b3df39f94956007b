# Shared by tests/cli/cli_cases.sh and tests/hostile/hostile_cases.sh: sourced with "BNRUN SOURCE_DIR CASE";
# sets up a temporary working folder (removed on exit) and the helpers below.
# shellcheck shell=bash
bnrun=$1
source_dir=$2
name=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() { echo "FAIL: $*"; exit 1; }

# With BNRUN_SAVE_CONFIGS_TO set, each config a case expects bnrun to refuse is kept there (a folder per call: the
# config.json, if any, and bnrun's arguments, NUL-separated), so that tests/config/schema_agreement.py can check that
# the JSON Schema refuses it too.
saved_configs=0
save_refused_config() {
  [ -n "${BNRUN_SAVE_CONFIGS_TO:-}" ] || return 0
  saved_configs=$((saved_configs + 1))
  local folder="$BNRUN_SAVE_CONFIGS_TO/$name.$saved_configs"
  mkdir -p "$folder"
  if [ -f "$work/config.json" ]; then cp "$work/config.json" "$folder/"; fi
  printf '%s\0' "$@" >"$folder/arguments"
}

# expect_error SUBSTRING -- ARGS...: bnrun exits 2, prints exactly one line on stderr starting "error: " and
# containing SUBSTRING, nothing on stdout, no stack trace, no out/ folder and no temporary files.
expect_error() {
  local expected=$1
  shift 2
  save_refused_config "$@"
  "$bnrun" "$@" -o "$work/out" >stdout.txt 2>stderr.txt
  local code=$?
  [ "$code" -eq 2 ] || fail "exit code $code, expected 2; stderr: $(cat stderr.txt)"
  local errors
  errors=$(grep -c '' stderr.txt)
  [ "$errors" -eq 1 ] || fail "expected one line on stderr, got $errors: $(cat stderr.txt)"
  grep -q '^error: ' stderr.txt || fail "stderr does not start with 'error: ': $(cat stderr.txt)"
  grep -qF -- "$expected" stderr.txt || fail "stderr lacks '$expected': $(cat stderr.txt)"
  [ ! -s stdout.txt ] || fail "stdout is not empty: $(cat stdout.txt)"
  [ ! -e "$work/out" ] || fail "the output folder was created"
  [ -z "$(find "$work" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$work" -name '*.tmp.*')"
  echo "ok: $(cat stderr.txt)"
}

# A valid config for $work/data.csv with the given dataset file and extra keys.
write_config() {
  cat >"$work/config.json" <<JSON
{
  "dataset": {"path": "${1:-data.csv}", "target": "species", "test_fraction": 0.25},
  "model": {"layers": [{"type": "dense", "units": 4, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 2, "activation": "softmax"}]},
  "training": {"epochs": 2, "batch_size": 4}
}
JSON
}

good_csv() { printf 'a,b,species\n1,2,x\n2,3,y\n3,4,x\n4,5,y\n5,6,x\n6,7,y\n7,8,x\n8,9,y\n'; }

