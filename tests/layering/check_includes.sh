#!/usr/bin/env bash
# The module map of docs/ARCHITECTURE.md, checked: every `#include "<module>/..."` in lib/<module>/ must name the
# module itself or one it may use. Prints each include that goes the wrong way (file:line) and exits 1 if any.
#
#   check_includes.sh SOURCE_DIR
set -u
source_dir="$1"

declare -A may_use=(
  [core]=""
  [stats]=""
  [plot]=""
  [kernels]="core"
  [nn]="core kernels"
  [optim]="core kernels nn"
  [experiment]="core nn"
  [config]="core experiment nn optim"
  [data]="core kernels nn config"
  [train]="core kernels nn optim experiment config data"
  [results]="core kernels nn optim experiment config data train"
  [report]="core kernels nn optim experiment config data train results"
  [modelio]="core kernels nn optim experiment config data train"
  [study]="core kernels nn optim experiment config data train results report modelio stats plot"
)

violations=0
for module_dir in "$source_dir"/lib/*/; do
  module=$(basename "$module_dir")
  if [ -z "${may_use[$module]+known}" ]; then
    echo "lib/$module: a module docs/ARCHITECTURE.md and this map do not list"
    violations=$((violations + 1))
    continue
  fi
  allowed=" $module ${may_use[$module]} "
  while IFS=: read -r file line include; do
    target=$(sed -E 's/^#include "([a-z_]+)\/.*/\1/' <<<"$include")
    [ -d "$source_dir/lib/$target" ] || continue  # not a bnrun module (e.g. "CLI/CLI.hpp")
    if [[ "$allowed" != *" $target "* ]]; then
      echo "${file#"$source_dir"/}:$line: lib/$module may not include $target ($include)"
      violations=$((violations + 1))
    fi
  done < <(grep -rnoE '^#include "[a-z_]+/[^"]+"' "$module_dir" --include='*.h' --include='*.cpp')
done
[ "$violations" -eq 0 ] || { echo "$violations include(s) against the module map"; exit 1; }
