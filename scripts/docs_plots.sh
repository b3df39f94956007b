#!/usr/bin/env bash
# Regenerates the plot screenshots under docs/images/ from real runs: the iris study over 10 seeds and a
# batch size × learning rate sweep, rendered by headless Chromium (installed if missing) from bnrun's own SVGs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y chromium >/dev/null; else sudo apt-get install -y chromium >/dev/null; fi
fi
cmake --preset release >/dev/null
cmake --build --preset release --target bnrun -j "$(nproc)" >/dev/null
bnrun=build/release/bnrun
work=out/docs_plots
rm -rf "$work"
"$bnrun" -q -c configs/iris_bn.json --seeds 10 -o "$work/seeds" >/dev/null
"$bnrun" -q -c configs/iris_bn.json --sweep training.batch_size=4,8,16,32,64 \
  --sweep training.optimizer.learning_rate=0.0001,0.001,0.01 --seeds 5 -j 2 -o "$work/grid" >/dev/null
mkdir -p docs/images
shot() {  # shot SVG PNG
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$2" --window-size=900,400 "$1" \
    >/dev/null 2>&1
  echo "wrote $2"
}
shot "$work/seeds/plots/learning_curves.svg" docs/images/iris_learning_curves.png
shot "$work/grid/plots/sweep_learning_rate.svg" docs/images/iris_sweep_learning_rate.png
