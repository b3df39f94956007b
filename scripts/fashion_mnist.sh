#!/usr/bin/env bash
# Makes data/fashion-mnist/train.csv and test.csv (header "label,p0..p783", git-ignored) from Debian's
# dataset-fashion-mnist package, installing it if missing. Idempotent: does nothing when both CSVs are
# newer than the package's files. Usage: scripts/fashion_mnist.sh [OUTPUT_DIR]
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
if [ -s "$output/train.csv" ] && [ -s "$output/test.csv" ] &&
   [ "$output/train.csv" -nt "$source/train-images-idx3-ubyte.gz" ] &&
   [ "$output/test.csv" -nt "$source/t10k-images-idx3-ubyte.gz" ]; then
  exit 0
fi
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target idx2csv -j "$(nproc)" >/dev/null
mkdir -p "$output"
build/release/idx2csv "$source/train-images-idx3-ubyte.gz" "$source/train-labels-idx1-ubyte.gz" "$output/train.csv"
build/release/idx2csv "$source/t10k-images-idx3-ubyte.gz" "$source/t10k-labels-idx1-ubyte.gz" "$output/test.csv"
