#!/usr/bin/env bash
# The catalogue of hostile inputs: every bad file, config, value or environment bnrun may meet. Each case asserts
# the documented exit code (2 unless it says otherwise), a one-line message naming the file and line:column or the
# key path, no stack trace, and no output files (or, where a run had started, only complete ones).
#
#   hostile_cases.sh --list                  prints the case names (CMake registers one ctest per case)
#   hostile_cases.sh BNRUN SOURCE_DIR CASE   runs one case; exit 0 = pass
set -u

if [ "${1:-}" = "--list" ]; then
  grep -oE '^case_[a-z0-9_]+' "$0" | sed 's/^case_//'
  exit 0
fi

source "$(dirname "$0")/../cli/common.sh" "$@"

# A data file with the given body after a good header, and the config for it.
data_with() { { printf 'a,b,species\n'; printf "$@"; } >data.csv; write_config; }

# --- CSV files ---

# A bare name is also looked up among the shipped configs (apps/bnrun/shipped_files.h): the error names both places.
case_missing_config() {
  expect_error "nope.json: no such file in the current folder ($work) nor among the shipped configs in " -- -c nope.json
  expect_error "./nope.json: cannot open config file: No such file or directory" -- -c ./nope.json
}

case_missing_data_file() {
  write_config missing.csv
  expect_error "missing.csv: cannot open" -- -c config.json
}

case_empty_csv() {
  : >data.csv
  write_config
  expect_error "data.csv: " -- -c config.json
}

case_header_only_csv() {
  printf 'a,b,species\n' >data.csv
  write_config
  expect_error "data.csv: " -- -c config.json
}

case_ragged_row() {
  { good_csv; printf '9,10\n'; } >data.csv
  write_config
  expect_error "data.csv:10:" -- -c config.json
}

case_non_numeric_feature() {
  { printf 'a,b,species\n1,2,x\n2,oops,y\n'; good_csv | tail -n +2; } >data.csv
  write_config
  expect_error "data.csv:3:2:" -- -c config.json
}

case_nan_feature() {
  { printf 'a,b,species\n1,nan,x\n'; good_csv | tail -n +2; } >data.csv
  write_config
  expect_error "data.csv:2:2:" -- -c config.json
}

case_missing_target_column() {
  good_csv | sed 's/species/label/' >data.csv
  write_config
  expect_error "species" -- -c config.json
}

case_unknown_config_key() {
  good_csv >data.csv
  write_config
  expect_error "config.json: training.epoch: unknown key (did you mean \"epochs\"?)" -- -c config.json \
    --set training.epoch=3
}

case_wrong_type() {
  good_csv >data.csv
  write_config
  expect_error "training.batch_size: expected an integer" -- -c config.json --set 'training.batch_size="big"'
}

case_out_of_range() {
  good_csv >data.csv
  write_config
  expect_error "training.epochs: expected an integer in [1, 1000000], got -1 (from --set training.epochs=-1)" -- \
    -c config.json --set training.epochs=-1
}

case_json_syntax_error() {
  printf '{\n  "dataset": {\n    "path": "data.csv",,\n  }\n}\n' >config.json
  expect_error "config.json:3:24: invalid JSON" -- -c config.json
}

case_output_width_mismatch() {
  good_csv >data.csv
  write_config
  expect_error "config.json: model.layers[2].units: is 3, but the data has 2 classes" -- -c config.json --set model.layers[2].units=3
}

case_unknown_option() { expect_error "--frobnicate" -- -c config.json --frobnicate; }

case_config_option_is_required() { expect_error "--config is required" -- ; }

case_output_not_writable() {
  good_csv >data.csv
  write_config
  "$bnrun" -c config.json -o /proc/bnrun_cannot_write >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -q "^error: /proc/bnrun_cannot_write: cannot create --output folder" stderr.txt || fail "$(cat stderr.txt)"
}

case_diverged_run_is_reported() {
  good_csv >data.csv
  write_config
  "$bnrun" -q -c config.json -o out --variant no_bn --set 'training.optimizer={"name":"sgd","learning_rate":1e30}' \
    >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q "^error: no_bn diverged at epoch 1" stderr.txt || fail "$(cat stderr.txt)"
  grep -q '"status": "diverged"' out/results.json || fail "results.json does not say diverged"
  grep -q 'diverged@1' stdout.txt || fail "the table does not say diverged: $(cat stdout.txt)"
}


case_ragged_row_with_too_many_cells() {
  data_with '1,2,x\n2,3,y\n3,4,x,9\n4,5,y\n'
  expect_error "data.csv:4:" -- -c config.json
}

case_quoted_newline_in_a_feature_cell() {
  data_with '1,2,x\n"2\n5",3,y\n3,4,x\n4,5,y\n'
  expect_error "data.csv:3:1:" -- -c config.json
}

case_unterminated_quote() {
  data_with '1,2,x\n"2,3,y\n3,4,x\n'
  expect_error "data.csv:3:1: quoted field" -- -c config.json
}

case_duplicate_config_key_names_both_lines() {
  good_csv >data.csv
  cat >config.json <<'JSON'
{
  "dataset": {"path": "data.csv", "target": "species", "test_fraction": 0.25},
  "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
  "training": {"epochs": 2, "batch_size": 4, "seed": 7},
  "training": {"epochs": 1}
}
JSON
  expect_error 'config.json:5:3: the key "training" appears twice in one object, first at line 4:3' -- -c config.json
}

case_duplicate_column_names() {
  { printf 'a,a,species\n'; good_csv | tail -n +2; } >data.csv
  write_config
  expect_error "data.csv:1:2: duplicate column name 'a'" -- -c config.json
}

case_infinity_in_a_cell() {
  data_with '1,inf,x\n2,3,y\n3,4,x\n4,5,y\n'
  expect_error "data.csv:2:2:" -- -c config.json
}

case_number_beyond_float_range() {
  data_with '1,1e400,x\n2,3,y\n3,4,x\n4,5,y\n'
  expect_error "data.csv:2:2:" -- -c config.json
}

case_empty_feature_cell() {
  data_with '1,,x\n2,3,y\n3,4,x\n4,5,y\n'
  expect_error "data.csv:2:2:" -- -c config.json
}

case_empty_label_cell() {
  data_with '1,2,x\n2,3,\n3,4,x\n4,5,y\n'
  expect_error "data.csv:3:3:" -- -c config.json
}

case_latin1_bytes_in_a_label() {
  data_with '1,2,x\n2,3,caf\xe9\n3,4,x\n4,5,y\n5,6,caf\xe9\n6,7,y\n'
  expect_error "data.csv: the species label on line 3 is not valid UTF-8" -- -c config.json
}

case_latin1_bytes_in_the_header() {
  { printf 'a,\xb5m,species\n'; good_csv | tail -n +2; } >data.csv
  write_config
  expect_error "data.csv: a column name in the header (line 1) is not valid UTF-8" -- -c config.json
}

case_nul_byte_in_a_cell() {
  data_with '1,2,x\n2,3\0,y\n3,4,x\n4,5,y\n'
  expect_error "data.csv:3:" -- -c config.json
}

case_utf16_file() {
  good_csv | iconv -f UTF-8 -t UTF-16 >data.csv
  write_config
  expect_error "data.csv:" -- -c config.json
}

case_a_million_columns_in_one_line() {
  { printf 'a,b,species\n1,2,x\n'; head -c 2000000 /dev/zero | tr '\0' ','; printf '\n'; } >data.csv
  write_config
  expect_error "data.csv:3:" -- -c config.json
}

case_a_million_column_header() {
  { seq -s, 1 1000000 | tr -d '\n'; printf ',species\n'; } >data.csv
  write_config
  expect_error "data.csv: " -- -c config.json
}

case_target_with_one_class() {
  data_with '1,2,x\n2,3,x\n3,4,x\n4,5,x\n'
  expect_error "data.csv: column 'species' has only one class (\"x\")" -- -c config.json
}

case_class_in_the_test_file_absent_from_training() {
  good_csv >train.csv
  { good_csv; printf '9,9,z\n'; } >test.csv
  write_config
  sed -i 's/"path": "data.csv", "target"/"train": "train.csv", "test": "test.csv", "target"/; s/, "test_fraction": 0.25//' \
    config.json
  expect_error "test.csv:10: class \"z\" of column 'species' does not occur in the training data" -- -c config.json
}

case_class_with_no_training_rows_after_the_split() {
  data_with '1,2,x\n2,3,y\n3,4,x\n4,5,y\n5,6,x\n6,7,y\n7,8,x\n8,9,z\n'
  expect_error "class \"z\" has no rows in the training split" -- -c config.json --set dataset.test_fraction=0.5 \
    --set model.layers[2].units=3
}

# Already stratified: the advice is not to stratify but to use smaller fractions or more rows.
case_class_with_no_training_rows_even_stratified() {
  data_with '1,2,x\n2,3,y\n3,4,x\n4,5,y\n5,6,x\n6,7,y\n7,8,x\n8,9,z\n'
  expect_error "has no rows in the training split; stratified, it has too few rows for test_fraction 0.8" \
    -- -c config.json --set dataset.test_fraction=0.8 --set dataset.stratify=true --set model.layers[2].units=3
}

case_directory_instead_of_a_data_file() {
  mkdir data.csv
  write_config
  expect_error "data.csv: " -- -c config.json
}

# --- special files and bounded reads ---

case_config_from_dev_zero_stops_at_its_first_block() {
  expect_error "/dev/zero: NUL byte at offset 0: not a text config file" -- -c /dev/zero
}

case_config_larger_than_the_limit() {
  { printf '{"name": "'; head -c 9000000 /dev/zero | tr '\0' 'x'; printf '"}'; } >config.json
  expect_error "config.json: more than 8000000 bytes; a config file is at most 8 MB" -- -c config.json
}

case_config_through_a_pipe_is_read() {
  # Process substitution (/dev/fd/N, a pipe) is a normal way to pass a config: only data files need asking. (Its
  # data path is absolute: a relative one is relative to the config's folder, which a pipe does not have, and
  # --dry-run reads the data.)
  good_csv >data.csv
  write_config "$work/data.csv"
  "$bnrun" -q -c <(cat config.json) --dry-run >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
}

case_data_from_a_fifo_is_refused_before_it_waits() {
  mkfifo data.fifo
  write_config data.fifo
  expect_error "data.fifo: is a FIFO (named pipe), not a regular file; bnrun reads data from regular files" -- -c config.json
}

case_data_from_a_device_is_refused() {
  write_config /dev/zero
  expect_error "/dev/zero: is a character device, not a regular file" -- -c config.json
}

case_data_from_a_device_when_allowed_stops_at_its_first_block() {
  write_config /dev/zero
  expect_error "/dev/zero: NUL byte at offset 0 of the stream" -- -c config.json --set dataset.allow_special_file=true
}

case_predict_data_from_stdin_when_allowed() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o m --save-model >/dev/null 2>&1 || fail "training failed"
  # (stdin redirected from a file is that regular file: only a real pipe is refused)
  cat "$source_dir/datasets/iris.csv" | "$bnrun" predict -m m/model_bn.json -d /dev/stdin >refused.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "a pipe was read without --allow-special-file"
  grep -q "is a FIFO (named pipe), not a regular file" stderr.txt || fail "$(cat stderr.txt)"
  cat "$source_dir/datasets/iris.csv" | "$bnrun" predict -m m/model_bn.json -d /dev/stdin --allow-special-file \
    >predictions.csv 2>stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -c '' predictions.csv)" -eq 151 ] || fail "not one line per row: $(head -3 predictions.csv)"
}

case_model_file_from_dev_zero() {
  "$bnrun" eval -m /dev/zero -d "$source_dir/datasets/iris.csv" >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -qx "error: /dev/zero: NUL byte at offset 0: not a text model file (is it binary, or UTF-16 encoded?)" stderr.txt ||
    fail "$(cat stderr.txt)"
}

# --- configs ---

case_config_is_a_directory() {
  mkdir config.json
  expect_error "config.json: is a directory" -- -c config.json
}

case_empty_config_file() {
  : >config.json
  expect_error "config.json:1:1: invalid JSON" -- -c config.json
}

case_config_is_a_json_array() {
  printf '[1, 2]\n' >config.json
  expect_error "config.json: " -- -c config.json
}

case_deeply_nested_json() {
  { printf '{"dataset": '; for _ in $(seq 100000); do printf '{"a":'; done; printf '1'; for _ in $(seq 100000); do printf '}'; done
    printf '}\n'; } >config.json
  expect_error "config.json:1:" -- -c config.json
}

case_deeply_nested_override_value() {
  good_csv >data.csv
  write_config
  expect_error "--set training.l2: the value nests more than 64 levels deep" -- -c config.json \
    --set "training.l2=$(printf '%.0s[' $(seq 100000))"
}

case_trailing_garbage_after_the_json() {
  good_csv >data.csv
  write_config
  printf 'oops\n' >>config.json
  expect_error "config.json:7:1: invalid JSON" -- -c config.json
}

case_zero_epochs() {
  good_csv >data.csv
  write_config
  expect_error "training.epochs: expected an integer in [1, 1000000], got 0" -- -c config.json --set training.epochs=0
}

case_zero_batch_size() {
  good_csv >data.csv
  write_config
  expect_error "training.batch_size: " -- -c config.json --set training.batch_size=0
}

case_negative_batch_size() {
  good_csv >data.csv
  write_config
  expect_error "training.batch_size: " -- -c config.json --set training.batch_size=-8
}

case_batch_size_one_with_batchnorm() {
  good_csv >data.csv
  write_config
  expect_error "training.batch_size: must be at least 2 when the model has batchnorm layers" -- -c config.json \
    --set training.batch_size=1
}

case_zero_units() {
  good_csv >data.csv
  write_config
  expect_error "model.layers[0].units: " -- -c config.json --set model.layers[0].units=0
}

case_unknown_activation() {
  good_csv >data.csv
  write_config
  expect_error "model.layers[0].activation: " -- -c config.json --set model.layers[0].activation=swish
}

case_unknown_layer_type() {
  good_csv >data.csv
  write_config
  expect_error "model.layers[1].type: " -- -c config.json --set model.layers[1].type=maxout
}

case_no_layers() {
  good_csv >data.csv
  write_config
  expect_error "model.layers: " -- -c config.json --set 'model.layers=[]'
}

case_learning_rate_nan() {
  good_csv >data.csv
  write_config
  expect_error "training.optimizer.learning_rate: " -- -c config.json --set training.optimizer.learning_rate=NaN
}

case_learning_rate_overflowing_to_infinity() {
  good_csv >data.csv
  write_config
  expect_error "training.optimizer.learning_rate" -- -c config.json --set training.optimizer.learning_rate=1e999
}

case_test_fraction_of_one() {
  good_csv >data.csv
  write_config
  expect_error "dataset.test_fraction: " -- -c config.json --set dataset.test_fraction=1
}

case_network_too_large_for_memory() {
  good_csv >data.csv
  write_config
  expect_error "config.json: model.layers: the bn network needs about" -- -c config.json --set model.layers[0].units=1000000 \
    --set 'model.layers[1]={"type":"dense","units":1000000}'
}

# The estimate counts the rows that exist: a batch larger than the training split is the split.
case_batch_far_larger_than_the_data_trains_like_the_whole_split() {
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=2 --set training.batch_size=100000000 \
    -o huge >stdout.txt 2>stderr.txt || fail "refused: $(cat stderr.txt)"
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" --set training.epochs=2 --set training.batch_size=120 \
    -o whole >/dev/null 2>&1 || fail "batch 120 failed"
  [ "$(grep -o '"accuracy": [0-9.e-]*' huge/results.json)" = "$(grep -o '"accuracy": [0-9.e-]*' whole/results.json)" ] ||
    fail "batch 10^8 did not train like the whole training split"
}

# Data whose parsed form cannot fit is refused with the estimate before the rows are parsed. An address-space limit
# stands in for a small machine (ASan reserves terabytes of address space, so this cannot run under it; OpenBLAS's
# start-up needs its one-thread buffers only).
case_data_too_large_for_memory_is_refused_with_the_estimate() {
  if ldd "$bnrun" | grep -q asan; then echo "skip: an address-space limit cannot apply under ASan"; exit 77; fi
  # 28,000,000 rows of 1 feature: 20 bytes a row once parsed (the float, the target's code, then the label and the
  # row's place in the order), about 560 MB.
  { echo "x,y"; yes 1,0 | head -n 14000000; yes 2,1 | head -n 14000000; } >big.csv
  write_config
  (ulimit -v 700000; OPENBLAS_NUM_THREADS=1 "$bnrun" -q -c config.json --set dataset.path=big.csv --set dataset.target=y \
    -o out >stdout.txt 2>stderr.txt; echo $? >code.txt)
  [ "$(cat code.txt)" -eq 2 ] || fail "exit $(cat code.txt): $(cat stderr.txt)"
  grep -qE "^error: [^ ]*big.csv: its data needs about 5[0-9]{2} MB of memory once parsed \(about [0-9]{7,8} rows of 1 feature," \
    stderr.txt || fail "$(cat stderr.txt)"
  [ ! -e out ] || fail "a refused run left a folder"
}

case_bad_sweep_value() {
  good_csv >data.csv
  write_config
  expect_error "training.batch_size: " -- -c config.json --sweep training.batch_size=8,0
}

case_seed_list_with_a_trailing_comma() {
  good_csv >data.csv
  write_config
  expect_error '--seeds: expected a count or a comma-separated list of seeds, got "5," (an empty seed after the last comma)' \
    -- -c config.json --seeds 5,
}

# The current folder, or the root, is not a results folder: say that, not "already holds results".
case_output_into_a_folder_of_other_files() {
  good_csv >data.csv
  write_config
  "$bnrun" -q -c config.json -o . >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  [ "$(cat stderr.txt)" = "error: .: the --output folder is not empty and holds files bnrun did not write; choose a new or empty folder (bnrun makes it)" ] ||
    fail "$(cat stderr.txt)"
  [ "$(ls -A | sort | tr '\n' ' ')" = "config.json data.csv stderr.txt stdout.txt " ] || fail "the folder changed: $(ls -A)"
}

# claims checks that its document can be written before it trains anything.
case_claims_document_that_cannot_be_written_is_refused_first() {
  expect_error "/proc/bnrun_no/doc.md: cannot make the folder for the document and its plots (/proc/bnrun_no/claims)" \
    -- claims "$source_dir/configs/claims/$(ls "$source_dir/configs/claims" | head -n 1)" --doc /proc/bnrun_no/doc.md
}

# Divergence from an initial scale says so, instead of blaming the learning rate.
case_divergence_from_kernel_scale_names_it() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --set 'model.layers[0].kernel_scale=1e30' >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -q "^error: bn diverged at epoch 1 .*; model.layers\[0\].kernel_scale is 1e+30: initial weights that large" \
    stderr.txt || fail "$(cat stderr.txt)"
}

case_zero_seeds() { good_csv >data.csv; write_config; expect_error "--seeds: " -- -c config.json --seeds 0; }

# --- the output ---

case_output_is_a_file() {
  good_csv >data.csv
  write_config
  : >taken
  "$bnrun" -c config.json -o taken >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -q "^error: taken: " stderr.txt || fail "$(cat stderr.txt)"
  [ -f taken ] && [ ! -s taken ] || fail "the file was changed"
}

case_standard_output_on_a_full_disk() {
  good_csv >data.csv
  write_config
  "$bnrun" -q -c config.json >/dev/full 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -qx "error: cannot write to standard output: No space left on device" stderr.txt || fail "$(cat stderr.txt)"
}

case_predictions_to_a_full_disk() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  "$bnrun" predict --model model/model_bn.json --data model/test.csv -o /dev/full >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -qx "error: /dev/full: cannot write: No space left on device" stderr.txt || fail "$(cat stderr.txt)"
  [ -c /dev/full ] || fail "/dev/full is no longer a device"
}

case_truncated_model_file() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  head -c 300 model/model_bn.json >broken.json
  "$bnrun" eval --model broken.json --data model/test.csv >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  [ "$(grep -c '' stderr.txt)" -eq 1 ] && grep -q '^error: broken.json:' stderr.txt || fail "$(cat stderr.txt)"
}

# A negative running variance (a damaged or edited file) is refused with the file and tensor, by every reader.
case_model_with_a_negative_running_variance() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  sed '0,/"running_variance": \[[^,]*/s//"running_variance": [-0.5/' model/model_bn.json >negative.json
  cmp -s negative.json model/model_bn.json && fail "the test did not change the file"
  local expected="error: negative.json: weights.batchnorm_1.running_variance[0]: is -0.5, but a variance cannot be negative"
  for command in "eval -m negative.json -d model/test.csv" "predict -m negative.json -d model/test.csv" \
    "-q -c $source_dir/configs/smoke.json --init-from negative.json"; do
    # shellcheck disable=SC2086
    "$bnrun" $command >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] || fail "exit code was not 2 for $command"
    grep -qF "$expected" stderr.txt || fail "$command: $(cat stderr.txt)"
    [ "$(grep -c '' stderr.txt)" -eq 1 ] || fail "$command: more than one line: $(cat stderr.txt)"
    [ ! -s stdout.txt ] || fail "$command printed: $(cat stdout.txt)"
  done
}

# --init-from weights trained on other columns or classes are refused before training, one line, no folder.
case_init_from_a_model_of_other_columns_or_classes() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  { echo "a,b,c,d,species"; tail -n +2 "$source_dir/datasets/iris.csv"; } >renamed.csv
  sed 's/setosa/Setosa/' "$source_dir/datasets/iris.csv" >relabelled.csv
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --set dataset.path="$PWD/renamed.csv" --init-from model/model_bn.json \
    -o out >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "other features: exit code was not 2"
  grep -qF "model/model_bn.json: --init-from: the model was trained on other features than $PWD/renamed.csv has (feature 1: 'sepal_length' in the model, 'a' in the data)" \
    stderr.txt || fail "$(cat stderr.txt)"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --set dataset.path="$PWD/relabelled.csv" --init-from model/model_bn.json \
    --seeds 2 -o out >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "other classes: exit code was not 2"
  grep -qF "(class 1: 'setosa' in the model, 'Setosa' in the data)" stderr.txt || fail "$(cat stderr.txt)"
  [ "$(grep -c '' stderr.txt)" -eq 1 ] || fail "more than one line: $(cat stderr.txt)"
  [ ! -e out ] || fail "a refused start left a folder"
}

# A study over bad data is one error before anything is made, not the same failure once per run.
case_study_over_bad_data_is_one_error_up_front() {
  data_with '1,2,x\n2,oops,y\n3,4,x\n'
  expect_error 'data.csv:3:2: column '"'"'b'"'"' is not a number: "oops"' -- -c config.json --seeds 3
}

case_eval_without_the_target_column() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  cut -d, -f1-4 model/test.csv >unlabelled.csv
  "$bnrun" eval --model model/model_bn.json --data unlabelled.csv >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -q "^error: unlabelled.csv: target column 'species' is not in the header" stderr.txt || fail "$(cat stderr.txt)"
}

# Options a subcommand would ignore are refused, not silently accepted.
# Options may come before a subcommand's name or after it; --arms on one side and --variant on the other are refused
# as on one side.
case_arms_and_variant_on_either_side_of_a_subcommand_are_refused() {
  "$bnrun" --arms bn validate -c "$source_dir/configs/smoke.json" --variant no_bn >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && [ ! -s stdout.txt ] || fail "accepted: $(cat stdout.txt)"
  [ "$(cat stderr.txt)" = "error: --variant and --arms both choose the arms to train: give one of them" ] ||
    fail "$(cat stderr.txt)"
  "$bnrun" validate -c "$source_dir/configs/smoke.json" --arms bn --variant no_bn >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && grep -q '^error: --arms excludes --variant' stderr.txt || fail "$(cat stderr.txt)"
}

case_subcommands_refuse_options_they_do_not_use() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o model --save-model >/dev/null 2>&1 || fail "training failed"
  local command expected
  while IFS='|' read -r expected command; do
    # shellcheck disable=SC2086
    "$bnrun" $command >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] || fail "exit code was not 2 for: $command"
    [ "$(cat stderr.txt)" = "error: bnrun $expected: it would change nothing (see bnrun ${expected%% *} --help for its options)" ] ||
      fail "$command: $(cat stderr.txt)"
    [ ! -s stdout.txt ] || fail "$command printed: $(cat stdout.txt)"
  done <<CASES
eval does not use --seeds|eval -m model/model_bn.json -d model/test.csv --seeds 9
eval does not use --set|eval -m model/model_bn.json -d model/test.csv --set dataset.delimiter=;
eval does not use --sweep|eval -m model/model_bn.json -d model/test.csv --sweep a=1,2
predict does not use --config|predict -m model/model_bn.json -d model/test.csv -c $source_dir/configs/smoke.json
compare does not use --threads|compare model -t 2
validate does not use --output|validate -c $source_dir/configs/smoke.json -o elsewhere
summary does not use --resume|summary -c $source_dir/configs/smoke.json --resume
claims does not use --seeds|claims $source_dir/configs/smoke.json --seeds 3
CASES
  [ ! -e elsewhere ] || fail "validate made the folder it does not use"
  "$bnrun" eval -q -t 1 -m model/model_bn.json -d model/test.csv >/dev/null 2>stderr.txt || fail "eval -q -t 1: $(cat stderr.txt)"
}

# --- counts from user input ---

# Eight sweeps of 256 values: 256^8 = 2^64 grid points wrap a size_t to 0; the count must be refused, not planned.
case_run_count_overflow_is_refused() {
  good_csv >data.csv
  write_config
  local sweeps=() key
  for key in l2 epochs batch_size seed optimizer.learning_rate optimizer.beta_1 optimizer.beta_2 optimizer.epsilon; do
    sweeps+=(--sweep "training.$key=$(seq -s, 1 256)")
  done
  expect_error "the study has more than 2^64 runs (256 × 256 × 256 × 256 × 256 × 256 × 256 × 256 × 1 seed)" -- \
    -c config.json "${sweeps[@]}"
  for command in validate --dry-run; do
    "$bnrun" $command -c config.json "${sweeps[@]}" >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] || fail "$command: exit code was not 2: $(cat stderr.txt)"
    grep -q "more than 2^64 runs" stderr.txt || fail "$command: $(cat stderr.txt)"
  done
}

case_run_count_just_over_the_limit_names_it() {
  good_csv >data.csv
  write_config
  expect_error "the study has 100200 runs (1002 × 100 seeds); at most 100000 are allowed" -- \
    -c config.json --sweep "training.l2=$(seq -s, 1 1002)" --seeds 100
}

# --- standard streams ---

case_closed_stderr_keeps_the_exit_code() {
  good_csv >data.csv
  write_config
  "$bnrun" -c config.json --set training.epochs=0 >stdout.txt 2>&-
  [ $? -eq 2 ] || fail "exit code was not 2 with stderr closed"
  "$bnrun" -c config.json --set training.epochs=0 >stdout.txt 2>/dev/full
  [ $? -eq 2 ] || fail "exit code was not 2 with stderr on a full device"
  "$bnrun" -c config.json -o out >stdout.txt 2>&-
  [ $? -eq 0 ] || fail "a good run failed with stderr closed"
  "$bnrun" compare out >/dev/null 2>&1 || fail "results.json is not valid"
  ! grep -q 'info:' out/results.json || fail "log lines landed in results.json"
}

case_closed_stdout_pipe_keeps_the_results() {
  good_csv >data.csv
  write_config
  "$bnrun" -c config.json -o out 2>stderr.txt | true
  local code=${PIPESTATUS[0]}
  [ "$code" -eq 0 ] || [ "$code" -eq 2 ] || fail "exit code $code (killed by a signal?): $(cat stderr.txt)"
  "$bnrun" compare out >/dev/null 2>&1 || fail "results.json is not complete"
}

# --- data changing under bnrun ---

case_data_file_cut_short_during_a_study() {
  { printf 'a,b,c,d,species\n'; for _ in $(seq 3000); do tail -n +2 "$source_dir/datasets/iris.csv"; done; } >big.csv
  write_config big.csv
  "$bnrun" -q -c config.json --seeds 40 --set training.epochs=1 --set training.batch_size=512 \
    --set 'model.layers[2].units=3' -o out >stdout.txt 2>stderr.txt &
  local pid=$!
  sleep 0.3
  truncate -s 1000 big.csv
  wait "$pid"
  local code=$?
  # Runs that read the whole file finish; one the cut meets fails with a message naming the file, and the ones
  # after it read the short file (a ragged last line fails them; a clean cut trains on fewer rows). Whichever:
  # exit 0 or 2, never a signal.
  [ "$code" -eq 0 ] || [ "$code" -eq 2 ] || fail "exit code $code: $(tail -3 stderr.txt)"
  # (A cut during the study's check of the data, before any folder, is its one error.)
  [ "$code" -eq 0 ] || grep -q "big.csv" out/summary.json 2>/dev/null || grep -q "^error: .*big.csv" stderr.txt ||
    fail "no failure names the file"
}

# --- numbers ---

case_constant_feature_trains_through_epsilon() {
  data_with '1,5,x\n2,5,y\n3,5,x\n4,5,y\n5,5,x\n6,5,y\n7,5,x\n8,5,y\n'
  "$bnrun" -q -c config.json -o out >stdout.txt 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -qE '^bn +[01]\.[0-9]{4} +[0-9]+\.[0-9]{4}' stdout.txt || fail "$(cat stdout.txt)"
  ! grep -qi 'nan' out/results.json || fail "NaN in results.json"
}

case_huge_feature_values_stay_finite() {
  data_with '1e30,-1e30,x\n2e30,3e30,y\n3e30,-4e30,x\n4e30,5e30,y\n5e30,1,x\n-6e30,7,y\n7,8e30,x\n8,9,y\n'
  "$bnrun" -q -c config.json --set dataset.standardize=false -o out >stdout.txt 2>stderr.txt
  local code=$?
  # Unscaled 1e30 inputs make the logits overflow: the run must end as diverged (exit 2) or finish with finite
  # numbers (exit 0) — never crash, never write NaN.
  [ "$code" -eq 0 ] || [ "$code" -eq 2 ] || fail "exit code $code: $(cat stderr.txt)"
  ! grep -qiE '\bnan\b|\binf' out/results.json || fail "non-finite number in results.json"
}

# --- signals ---

# start_long_run: a Fashion-MNIST-sized run (made from iris rows) that takes a few seconds, in the background.
start_long_run() {
  { printf 'a,b,c,d,species\n'; for _ in $(seq 2000); do tail -n +2 "$source_dir/datasets/iris.csv"; done; } >big.csv
  cat >long.json <<JSON
{"dataset": {"path": "big.csv", "target": "species"},
 "model": {"layers": [{"type": "dense", "units": 256, "activation": "relu"}, {"type": "batchnorm"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]},
 "training": {"epochs": 1000, "batch_size": 32}}
JSON
  "$bnrun" -c long.json -o out "$@" >stdout.txt 2>stderr.txt &
  pid=$!
  for _ in $(seq 100); do grep -q 'training bn' stderr.txt 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}

expect_interrupted() {  # expect_interrupted SIGNAL EXIT_CODE
  kill -s "$1" "$pid"
  wait "$pid"
  local code=$?
  [ "$code" -eq "$2" ] || fail "exit code $code, expected $2: $(cat stderr.txt)"
  grep -q "^error: interrupted by SIG$1" stderr.txt || fail "$(cat stderr.txt)"
  grep -q '"status": "interrupted"' out/results.json || fail "results.json does not say interrupted"
  "$bnrun" compare out >/dev/null 2>&1 || fail "results.json is not valid"
  [ -z "$(find out -name '*.tmp.*')" ] || fail "temporary files left"
}

case_ctrl_c_writes_the_results_so_far() { start_long_run; expect_interrupted INT 130; }

case_sigterm_writes_the_results_so_far() { start_long_run; expect_interrupted TERM 143; }

# The terminal going away is handled as SIGTERM is: the run in flight is kept as interrupted, exit 129.
case_sighup_writes_the_results_so_far() { start_long_run; expect_interrupted HUP 129; }

# Outside training nothing is in flight: the first signal ends bnrun at once, with one line and 128 + signal.
expect_ended_at_once() {  # expect_ended_at_once SIGNAL EXIT_CODE (the bnrun in $pid)
  sleep 0.3
  kill -s "$1" "$pid"
  wait "$pid"
  local code=$?
  [ "$code" -eq "$2" ] || fail "exit code $code, expected $2: $(cat stderr.txt)"
  [ "$(grep -c '' stderr.txt)" -eq 1 ] || fail "not one line on stderr: $(cat stderr.txt)"
  grep -qx "error: interrupted by SIG$1.*" stderr.txt || fail "$(cat stderr.txt)"
  [ -z "$(find . -name '*.tmp.*')" ] || fail "temporary files left"
}

case_ctrl_c_ends_a_wait_on_a_fifo_config() {
  mkfifo config.fifo
  "$bnrun" -c config.fifo >stdout.txt 2>stderr.txt &
  pid=$!
  expect_ended_at_once INT 130
}

case_ctrl_c_ends_predict_waiting_for_its_data() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o m --save-model >/dev/null 2>&1 || fail "training failed"
  mkfifo rows.fifo
  "$bnrun" predict -m m/model_bn.json -d rows.fifo --allow-special-file -o predictions.csv >stdout.txt 2>stderr.txt &
  pid=$!
  expect_ended_at_once TERM 143
  [ ! -e predictions.csv ] || fail "a predictions file was written"
}

case_ctrl_c_ends_a_long_dry_run() {
  # Planning and listing 100000 runs takes seconds; Ctrl-C ends it instead of being ignored until the end.
  "$bnrun" -c "$source_dir/configs/smoke.json" --seeds 100000 --dry-run >stdout.txt 2>stderr.txt &
  pid=$!
  expect_ended_at_once INT 130
}

case_interrupted_study_resumes() {
  start_long_run --seeds 3 -j 1
  kill -s INT "$pid"
  wait "$pid"
  [ $? -eq 130 ] || fail "exit code was not 130"
  grep -q '"status": "interrupted"' out/001_seed=42/result.json || fail "run 1 not marked interrupted"
  grep -q '"error": "not run: interrupted"' out/summary.json || fail "the runs not started are not listed"
  # Runs that never started are "not run", not failures.
  grep -q '"status": "not_run"' out/summary.json || fail "the runs not started are not marked not_run"
  grep -q '"status": "failed"' out/summary.json && fail "a run that never started is counted as failed"
  grep -q ',not_run,' out/summary.csv || fail "summary.csv does not mark them not_run"
  grep -q '^run 2 (002_seed=43): not run' stdout.txt || fail "the table does not say run 2 was not run: $(cat stdout.txt)"
}

# --- one writer per folder ---

# A second bnrun on the folder of a running one: plain, --overwrite and --resume are all refused with the
# holder's PID, and the first finishes with its results intact.
case_two_processes_on_one_folder() {
  start_long_run --seeds 2 -j 1
  local mode
  for mode in "" --overwrite --resume; do
    "$bnrun" -c long.json -o out --seeds 2 $mode >second_stdout.txt 2>second.txt
    [ $? -eq 2 ] || fail "second process ($mode): exit code was not 2: $(cat second.txt)"
    grep -qx "error: out: another bnrun (PID $pid) is writing to this folder; wait for it to finish or choose another --output" \
      second.txt || fail "second process ($mode): $(cat second.txt)"
  done
  kill -s INT "$pid"
  wait "$pid"
  [ $? -eq 130 ] || fail "the first process did not end as interrupted"
  grep -q '"status": "interrupted"' out/001_seed=42/result.json || fail "the first process' run was lost"
  # The holder is gone: its lock is too.
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out --overwrite >/dev/null 2>second.txt ||
    fail "a dead holder's lock still blocks: $(cat second.txt)"
}

# Two processes started together on one folder, plain, then --overwrite, then --resume (on a study one of them
# interrupted): exactly one writes, the other gets the lock error, and the folder holds one complete study.
case_two_processes_started_together_exactly_one_writes() {
  local args=(-q -c "$source_dir/configs/iris_bn.json" --seeds 2 --set training.epochs=400 --threads 1 -o out)
  local mode
  for mode in plain --overwrite --resume; do
    local extra=()
    [ "$mode" = plain ] || extra=("$mode")
    if [ "$mode" = --resume ]; then  # an unfinished study to resume: interrupt one after its first run
      rm -rf out
      "$bnrun" "${args[@]}" >/dev/null 2>&1 &
      local first=$!
      while [ ! -s out/001_seed=42/result.json ]; do sleep 0.02; done
      kill -s INT "$first"
      wait "$first"
    fi
    "$bnrun" "${args[@]}" "${extra[@]}" >a_stdout.txt 2>a.txt &
    local a=$!
    "$bnrun" "${args[@]}" "${extra[@]}" >b_stdout.txt 2>b.txt &
    local b=$!
    wait "$a"
    local code_a=$?
    wait "$b"
    local code_b=$?
    local codes
    codes=$(printf '%s\n' "$code_a" "$code_b" | sort | tr '\n' ' ')
    [ "$codes" = "0 2 " ] || fail "$mode: exit codes $code_a and $code_b, expected one 0 and one 2: $(cat a.txt b.txt)"
    local loser=a.txt
    [ "$code_a" -eq 2 ] || loser=b.txt
    grep -qE "^error: out: another bnrun \(PID [0-9]+\) is writing to this folder" "$loser" || fail "$mode: $(cat "$loser")"
    [ "$(grep -c ',ok,' out/summary.csv)" -eq 4 ] || fail "$mode: the study is not complete: $(cat out/summary.csv)"
    for run in out/0*/result.json; do
      "$bnrun" compare "$run" >/dev/null 2>compare.txt || fail "$mode: $run is not complete: $(cat compare.txt)"
    done
    [ -z "$(find out -name '*.tmp.*' -o -name '.bnrun-staging.*')" ] || fail "$mode: temporary files left"
  done
}

case_refused_folder_is_left_as_found() {
  good_csv >data.csv
  write_config
  mkdir mine && echo notes >mine/notes.txt
  "$bnrun" -c config.json -o mine --overwrite >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  [ "$(ls -A mine)" = notes.txt ] || fail "the folder was changed: $(ls -A mine)"
}

case_failed_start_removes_every_folder_it_created() {
  write_config missing.csv
  "$bnrun" -c config.json -o a/b/c >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  [ ! -e a ] || fail "left behind: $(find a)"
}

# --- --overwrite loses nothing before the new results are ready ---

case_overwrite_with_bad_data_keeps_the_finished_study() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 3 -o study >/dev/null 2>&1 || fail "the first study failed"
  local before
  before=$(cat study/summary.json study/*/result.json | md5sum)
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 3 -o study --overwrite --set dataset.path=typo.csv \
    >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2"
  grep -q "typo.csv: cannot open" stderr.txt || fail "$(cat stderr.txt)"
  [ "$(cat study/summary.json study/*/result.json | md5sum)" = "$before" ] || fail "the finished study was changed"
  [ -z "$(find study -name '.bnrun-staging.*' -o -name '.bnrun-replaced.*')" ] || fail "staging folders left"
}

case_overwrite_never_deletes_its_own_input() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o m --save-model >/dev/null 2>&1 || fail "training failed"
  expect_refusal() {
    "$bnrun" -q -c "$source_dir/configs/smoke.json" -o m --overwrite "$@" >stdout.txt 2>stderr.txt
    [ $? -eq 2 ] || fail "exit code was not 2 for $*"
    grep -q "is inside the --output folder m, whose contents --overwrite replaces" stderr.txt || fail "$(cat stderr.txt)"
  }
  expect_refusal --set dataset.path=m/test.csv
  expect_refusal --init-from m/model_bn.json
  [ -s m/test.csv ] && [ -s m/model_bn.json ] && [ -s m/results.json ] || fail "an input or a result was deleted"
}

case_overwrite_replaces_the_results_when_the_new_ones_are_ready() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 2 -o out >/dev/null 2>&1 || fail "the first study failed"
  "$bnrun" -q -c "$source_dir/configs/smoke.json" -o out --overwrite >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
  [ -s out/results.json ] || fail "the new results are missing"
  [ ! -e out/001_seed=42 ] && [ ! -e out/summary.json ] || fail "the old study is still there: $(ls -A out)"
  [ -z "$(find out -name '.bnrun-staging.*' -o -name '.bnrun-replaced.*')" ] || fail "staging folders left"
}

case_resume_removes_the_leftovers_of_dead_writers() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 2 -o out >/dev/null 2>&1 || fail "the study failed"
  echo partial >"out/001_seed=42/result.json.tmp.99999"
  mkdir -p out/.bnrun-staging.99999 out/.bnrun-replaced.99998
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 2 -o out --resume >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  [ -z "$(find out -name '*.tmp.*' -o -name '.bnrun-staging.*' -o -name '.bnrun-replaced.*')" ] ||
    fail "left: $(find out -name '*.tmp.*' -o -name '.bnrun-*')"
}

# --- --resume and the data it resumes on ---

case_resume_refuses_data_that_changed() {
  cp "$source_dir/datasets/iris.csv" data.csv
  sed 's|"path": "../datasets/iris.csv"|"path": "data.csv"|' "$source_dir/configs/smoke.json" >config.json
  "$bnrun" -q -c config.json --seeds 3 -o study >/dev/null 2>&1 || fail "the first study failed"
  rm -r study/002_seed=2
  local before
  before=$(cat study/*/result.json | md5sum)
  # Same path, same config, half the rows.
  { head -1 "$source_dir/datasets/iris.csv"; tail -n +2 "$source_dir/datasets/iris.csv" | awk 'NR % 2'; } >data.csv
  "$bnrun" -q -c config.json --seeds 3 -o study --resume >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  [ "$(grep -c '' stderr.txt)" -eq 1 ] || fail "not one line: $(cat stderr.txt)"
  grep -q '^error: data.csv: changed since study/001_seed=1 was trained on it (.* bytes, xxh3 [0-9a-f]\{16\} then, .* now); --resume would mix runs on different data' \
    stderr.txt || fail "$(cat stderr.txt)"
  [ "$(cat study/*/result.json | md5sum)" = "$before" ] || fail "the finished runs were changed"
  [ ! -e study/002_seed=2 ] || fail "a run trained on the changed data"
  # The same bytes again: resuming goes on.
  cp "$source_dir/datasets/iris.csv" data.csv
  "$bnrun" -q -c config.json --seeds 3 -o study --resume >/dev/null 2>stderr.txt || fail "$(cat stderr.txt)"
  grep -q '"xxh3": "[0-9a-f]\{16\}"' study/002_seed=2/result.json || fail "the data's identity is not recorded"
}

case_resume_refuses_a_data_file_that_is_gone() {
  cp "$source_dir/datasets/iris.csv" data.csv
  sed 's|"path": "../datasets/iris.csv"|"path": "data.csv"|' "$source_dir/configs/smoke.json" >config.json
  "$bnrun" -q -c config.json --seeds 2 -o study >/dev/null 2>&1 || fail "the first study failed"
  rm data.csv
  "$bnrun" -q -c config.json --seeds 2 -o study --resume >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q '^error: data.csv: cannot open' stderr.txt || fail "$(cat stderr.txt)"
  [ -s study/summary.json ] || fail "the finished study was changed"
}

# --- a write that fails after training ---

# bnrun ARGS... under a file-size limit of $1 KB: a file that would pass it cannot be written (EFBIG).
with_file_size_limit() {
  local limit=$1
  shift
  (ulimit -f "$limit" && exec "$bnrun" "$@")
}

case_a_file_too_large_to_write_keeps_the_table_and_the_other_files() {
  # 40 KB: every file of a single run fits but the two model files.
  with_file_size_limit 40 -q -c "$source_dir/configs/iris_bn.json" -o out --save-model >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q '^bn - no_bn' stdout.txt || fail "no table on stdout: $(cat stdout.txt)"
  grep -qF 'out/model_bn.json: cannot write: File too large' stderr.txt || fail "$(cat stderr.txt)"
  grep -qF 'out/model_no_bn.json: cannot write: File too large' stderr.txt || fail "$(cat stderr.txt)"
  grep -q '^error: 2 files could not be written; every other file is complete$' stderr.txt || fail "$(cat stderr.txt)"
  "$bnrun" compare out >/dev/null 2>compare.txt || fail "results.json is not complete: $(cat compare.txt)"
  for file in config.json test.csv history_bn.csv history_no_bn.csv report.md plots/learning_curves.svg; do
    [ -s "out/$file" ] || fail "out/$file was not kept"
  done
  [ -z "$(find out -name '*.tmp.*')" ] || fail "temporary files left"
}

case_a_study_whose_files_cannot_be_written_counts_its_runs_as_trained() {
  # 2 KB: config.json and history.csv fit, result.json and summary.json do not.
  with_file_size_limit 2 -q -c "$source_dir/configs/smoke.json" --seeds 3 -o study >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q 'smoke: 3 runs, 3 seeds' stdout.txt || fail "no study table: $(cat stdout.txt)"
  grep -q 'failed' stdout.txt stderr.txt && fail "trained runs are reported as failed: $(cat stdout.txt stderr.txt)"
  grep -qF 'study/001_seed=1/result.json: cannot write: File too large' stderr.txt || fail "$(cat stderr.txt)"
  grep -q 'could not be written; every other file is complete' stderr.txt || fail "$(cat stderr.txt)"
  [ -s study/001_seed=1/config.json ] || fail "a file that fits was not kept"
  [ -z "$(find study -name '*.tmp.*')" ] || fail "temporary files left"
  # With room again, --resume trains what has no result.json and completes the study.
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 3 -o study --resume >/dev/null 2>resume.txt ||
    fail "resume: $(cat resume.txt)"
  "$bnrun" compare study/summary.json >/dev/null 2>&1 || fail "the resumed summary is not complete"
}

case_overwrite_that_cannot_write_keeps_the_old_results() {
  "$bnrun" -q -c "$source_dir/configs/smoke.json" --seeds 2 -o study >/dev/null 2>&1 || fail "the first study failed"
  local before
  before=$(cat study/summary.json study/*/result.json | md5sum)
  with_file_size_limit 2 -q -c "$source_dir/configs/smoke.json" --seeds 2 -o study --overwrite \
    --set training.epochs=2 >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q 'nothing was replaced: study holds the results it held before' stderr.txt || fail "$(cat stderr.txt)"
  [ "$(cat study/summary.json study/*/result.json | md5sum)" = "$before" ] || fail "the old results were changed"
  [ -z "$(find study -name '.bnrun-staging.*' -o -name '*.tmp.*')" ] || fail "staging or temporary files left"
}

case_full_file_system_keeps_the_table_and_every_complete_file() {
  # The issue's own form: a 64 KB tmpfs (needs mount rights; skipped where there are none).
  mkdir small
  mount -t tmpfs -o size=64k tmpfs small 2>/dev/null || { echo "skip: cannot mount a tmpfs here"; exit 77; }
  trap 'umount "$work/small" 2>/dev/null; rm -rf "$work"' EXIT
  "$bnrun" -q -c "$source_dir/configs/iris_bn.json" -o small/out --save-model >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] || fail "exit code was not 2: $(cat stderr.txt)"
  grep -q '^bn - no_bn' stdout.txt || fail "no table on stdout"
  grep -q 'No space left on device' stderr.txt || fail "$(cat stderr.txt)"
  grep -q 'could not be written; every other file is complete$' stderr.txt || fail "$(cat stderr.txt)"
  [ -s small/out/config.json ] || fail "config.json was not kept"
  if [ -e small/out/results.json ]; then
    "$bnrun" compare small/out >/dev/null 2>&1 || fail "results.json is not complete"
  fi
  [ -z "$(find small -name '*.tmp.*')" ] || fail "temporary files left"
}

# --- atomic writes ---

case_killed_at_random_moments_never_leaves_a_truncated_file() {
  local config="$source_dir/configs/iris_bn.json"
  for attempt in $(seq 15); do
    rm -rf out
    "$bnrun" -q -c "$config" --seeds 40 -o out >/dev/null 2>&1 &
    local pid=$!
    sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -d out ] || continue
    for file in $(find out -name 'result.json' -o -name 'summary.json' -o -name 'results.json'); do
      "$bnrun" compare "$file" >/dev/null 2>compare.txt || fail "attempt $attempt: $file is not complete: $(cat compare.txt)"
    done
    for file in $(find out -name 'summary.csv' -o -name 'history.csv'); do
      [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] || fail "attempt $attempt: $file is truncated"
    done
    # --resume finishes the study and takes away what the killed writer left.
    if [ -e out/.bnrun ] && [ "$attempt" -le 3 ]; then
      "$bnrun" -q -c "$config" --seeds 40 -o out --resume >/dev/null 2>resume.txt || fail "resume: $(cat resume.txt)"
      [ -z "$(find out -name '*.tmp.*')" ] || fail "attempt $attempt: temporary files left after --resume"
    fi
  done
}

# SIGKILL at a random point of a 3-seed study, 25 times; after each, --resume finishes it, and then every run is
# intact, no temporary file remains, and the summary is the uninterrupted study's (timings aside).
case_killed_25_times_then_resumed_equals_the_uninterrupted_study() {
  local args=(-q -c "$source_dir/configs/iris_bn.json" --seeds 3 --set training.epochs=150 --threads 1)
  local start end
  start=$(date +%s%N)
  "$bnrun" "${args[@]}" -o reference >/dev/null 2>&1 || fail "the uninterrupted study failed"
  end=$(date +%s%N)
  local span_ms=$(((end - start) / 1000000 + 1))
  without_timings() { cut -d, -f1-9,11 "$1"; }
  for attempt in $(seq 25); do
    rm -rf out
    "$bnrun" "${args[@]}" -o out >/dev/null 2>&1 &
    local pid=$!
    local delay_ms=$((RANDOM % span_ms))
    sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e out ]; then
      "$bnrun" "${args[@]}" -o out --resume >/dev/null 2>resume.txt ||
        fail "attempt $attempt (killed after ${delay_ms} ms): resume: $(cat resume.txt)"
    else
      "$bnrun" "${args[@]}" -o out >/dev/null 2>&1 || fail "attempt $attempt: the fresh start failed"
    fi
    [ -z "$(find out -name '*.tmp.*' -o -name '.bnrun-staging.*')" ] || fail "attempt $attempt: temporary files left"
    [ "$(without_timings out/summary.csv)" = "$(without_timings reference/summary.csv)" ] ||
      fail "attempt $attempt (killed after ${delay_ms} ms): the summary differs: $(diff <(without_timings reference/summary.csv) <(without_timings out/summary.csv))"
    for folder in reference/0*; do
      local run
      run=$(basename "$folder")
      [ "$(grep -v -E 'seconds|samples_per_second|peak_rss' "$folder/result.json")" = \
        "$(grep -v -E 'seconds|samples_per_second|peak_rss' "out/$run/result.json")" ] ||
        fail "attempt $attempt: $run/result.json differs from the uninterrupted run's"
    done
  done
}

"case_$name"
