#!/usr/bin/env bash
# Makes data/fashion-mnist/train.csv and test.csv (header "label,p0..p783", git-ignored) from Debian's
# dataset-fashion-mnist package, installing it if missing, and the subsets the claims use: train_10k.csv (the
# first 10,000 training rows) and test_2k.csv (the first 2,000 test rows; both files come shuffled, so the first
# rows are a fair sample of every class). Idempotent: does nothing when every CSV is newer than the package's
# files. Usage: scripts/fashion_mnist.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-data/fashion-mnist}
source=/usr/share/datasets/fashion-mnist

if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing dataset-fashion-mnist (30 MB)" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
up_to_date() {
  local file
  for file in train.csv train_10k.csv; do
    [ -s "$output/$file" ] && [ "$output/$file" -nt "$source/train-images-idx3-ubyte.gz" ] || return 1
  done
  for file in test.csv test_2k.csv; do
    [ -s "$output/$file" ] && [ "$output/$file" -nt "$source/t10k-images-idx3-ubyte.gz" ] || return 1
  done
}
up_to_date && exit 0
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target idx2csv -j "$(nproc)" >/dev/null
mkdir -p "$output"
build/release/idx2csv "$source/train-images-idx3-ubyte.gz" "$source/train-labels-idx1-ubyte.gz" "$output/train.csv"
build/release/idx2csv "$source/t10k-images-idx3-ubyte.gz" "$source/t10k-labels-idx1-ubyte.gz" "$output/test.csv"
# Written beside and renamed, so an interrupted run never leaves a short subset that looks finished.
head -n 10001 "$output/train.csv" > "$output/train_10k.csv.tmp.$$" && mv "$output/train_10k.csv.tmp.$$" "$output/train_10k.csv"
head -n 2001 "$output/test.csv" > "$output/test_2k.csv.tmp.$$" && mv "$output/test_2k.csv.tmp.$$" "$output/test_2k.csv"
