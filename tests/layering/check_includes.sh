#!/usr/bin/env bash
# The module map, checked: every `#include "<module>/..."` in lib/<module>/ must name the module itself or one it
# declares in its CMakeLists.txt (bnrun_module(... USES ...)); the build writes those declarations to
# module_map.txt, one "module:used used ..." line each. Prints each include that goes the wrong way (file:line)
# and exits 1 if any. A module folder the map does not know is an error too.
#
#   check_includes.sh SOURCE_DIR MODULE_MAP
set -u
source_dir="$1"
module_map="$2"

declare -A may_use=()
while IFS=: read -r module uses; do
  [ -n "$module" ] && may_use[$module]="$uses"
done <"$module_map"

violations=0
for module_dir in "$source_dir"/lib/*/; do
  module=$(basename "$module_dir")
  if [ -z "${may_use[$module]+known}" ]; then
    echo "lib/$module: a folder with no bnrun_module() in lib/CMakeLists.txt"
    violations=$((violations + 1))
    continue
  fi
  allowed=" $module ${may_use[$module]} "
  while IFS=: read -r file line include; do
    target=$(sed -E 's/^#include "([a-z_]+)\/.*/\1/' <<<"$include")
    [ -d "$source_dir/lib/$target" ] || continue  # not a bnrun module (e.g. "CLI/CLI.hpp")
    if [[ "$allowed" != *" $target "* ]]; then
      echo "${file#"$source_dir"/}:$line: lib/$module may not include $target ($include): not in its USES"
      violations=$((violations + 1))
    fi
  done < <(grep -rnoE '^#include "[a-z_]+/[^"]+"' "$module_dir" --include='*.h' --include='*.cpp')
done
[ "$violations" -eq 0 ] || { echo "$violations include(s) against the module map"; exit 1; }
echo "every include in lib/ follows the module map (${#may_use[@]} modules)"
