#!/usr/bin/env bash
# bnrun installed like any command-line tool (packaging/CMakeLists.txt): the Debian package that cpack makes from
# the build folder is unpacked into a scratch root (dpkg -x: nothing touches the system), and `cmake --install`
# puts the same files under a scratch prefix. For each: the files are where README "Install" says, the package
# depends on exactly the libraries the binary links, and the installed bnrun runs by name from a folder outside
# the tree, reading the installed configs and data (not the source tree's), naming the installed docs in --help,
# with its man page and completion script working.
#
#   install_from_deb.sh BNRUN BUILD_DIR SOURCE_DIR
set -u
bnrun=$1
build_dir=$2
source_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
SECONDS=0

# --- the package ---
(cd "$build_dir" && cpack -G DEB -B "$work/package" --config CPackConfig.cmake) >"$work/cpack.txt" 2>&1 ||
  fail "cpack: $(cat "$work/cpack.txt")"
deb=$(ls "$work"/package/bnrun_*.deb 2>/dev/null)
[ -s "$deb" ] || fail "no .deb: $(ls "$work/package"); $(cat "$work/cpack.txt")"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = bnrun ] && [ "$(field Section)" = science ] || fail "$(dpkg-deb -I "$deb")"
[ -n "$(field Maintainer)" ] && field Description | grep -q 'batch normalization' || fail "$(dpkg-deb -I "$deb")"
# Depends: the package of every library bnrun links directly (NEEDED), found the way the loader finds it.
depends=$(field Depends)
echo "Depends: $depends"
for needed in $(objdump -p "$bnrun" | awk '$1 == "NEEDED" { print $2 }'); do
  path=$(ldd "$bnrun" | awk -v lib="$needed" '$1 == lib { print $3 }')
  [ -n "$path" ] || fail "ldd does not resolve $needed"
  package=$(dpkg -S "$(realpath "$path")" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$package" ] || package=$(dpkg -S "$path" | head -1 | cut -d: -f1)
  [[ ", $depends" == *", $package"* ]] || fail "bnrun links $needed ($package), which Depends lacks: $depends"
done
[[ "$depends" == *libopenblas0-openmp* ]] || fail "not the OpenMP OpenBLAS: $depends"

# check_installation ROOT PREFIX: the files under ROOT/PREFIX, and the installed bnrun at work from elsewhere.
check_installation() {
  local root=$1 prefix=$2 file
  local base=$root$prefix
  for file in bin/bnrun share/man/man1/bnrun.1.gz share/bash-completion/completions/bnrun \
    share/bnrun/bnrun-config.schema.json \
    share/bnrun/configs/iris_bn.json share/bnrun/configs/smoke.json share/bnrun/configs/README.md \
    share/bnrun/configs/claims/depth.json share/bnrun/datasets/README.md share/bnrun/datasets/iris.csv \
    share/bnrun/datasets/cgpa_iq.csv share/bnrun/datasets/wine.csv share/bnrun/datasets/breast_cancer.csv \
    share/doc/bnrun/README.md share/doc/bnrun/docs/CONFIG.md share/doc/bnrun/docs/STUDIES.md; do
    [ -s "$base/$file" ] || fail "$base/$file is missing"
  done
  [ "$(ls "$base/share/bnrun/datasets" | paste -sd,)" = "README.md,breast_cancer.csv,cgpa_iq.csv,diabetes.csv,digits.csv,iris.csv,wine.csv" ] ||
    fail "datasets: $(ls "$base/share/bnrun/datasets")"
  [ "$(ls "$base/share/bnrun/configs/claims" | wc -l)" -eq "$(ls "$source_dir/configs/claims" | wc -l)" ] ||
    fail "claims: $(ls "$base/share/bnrun/configs/claims")"
  readelf -d "$base/bin/bnrun" | grep -q 'R.*PATH.*openblas-openmp' || fail "the installed bnrun has no run path"
  ldd "$base/bin/bnrun" | grep -q 'openblas-openmp/libopenblas.so.0' || fail "$(ldd "$base/bin/bnrun" | grep blas)"
  gzip -t "$base/share/man/man1/bnrun.1.gz" || fail "the man page is not gzip"
  zcat "$base/share/man/man1/bnrun.1.gz" | groff -man -ww -z 2>&1 | grep . && fail "groff warns on the man page"
  zcat "$base/share/man/man1/bnrun.1.gz" | grep -q '^\.SS "bnrun validate"' || fail "man page lacks validate"

  mkdir -p "$work/elsewhere" && cd "$work/elsewhere" || fail "cd"
  rm -rf out
  PATH=$base/bin:$PATH bnrun --version >version.txt 2>&1 || fail "bnrun --version: $(cat version.txt)"
  grep -qE '^bnrun [0-9]+\.[0-9]+\.[0-9]+$' version.txt || fail "$(cat version.txt)"
  PATH=$base/bin:$PATH bnrun -q -c smoke.json -o out >stdout.txt 2>stderr.txt || fail "bnrun -c smoke.json: $(cat stderr.txt)"
  grep -qE '^bn ' stdout.txt && grep -qE '^no_bn ' stdout.txt || fail "$(cat stdout.txt)"
  [ "$(jq -r .config.dataset.path out/results.json)" = "$base/share/bnrun/datasets/iris.csv" ] ||
    fail "not the installed data: $(jq .config.dataset out/results.json)"
  PATH=$base/bin:$PATH bnrun validate -c depth.json >/dev/null 2>stderr.txt && fail "a claim config is not a main config"
  PATH=$base/bin:$PATH bnrun validate --config-only -c "$base/share/bnrun/configs/claims/depth.json" >/dev/null 2>stderr.txt ||
    fail "$(cat stderr.txt)"
  PATH=$base/bin:$PATH bnrun -c nope.json >stdout.txt 2>stderr.txt
  [ $? -eq 2 ] && [ "$(grep -c '' stderr.txt)" -eq 1 ] &&
    grep -qF "error: nope.json: no such file in the current folder ($work/elsewhere) nor among the shipped configs in $base/share/bnrun/configs" stderr.txt ||
    fail "$(cat stderr.txt)"
  # --help names docs this installation has.
  PATH=$base/bin:$PATH bnrun validate --help >help.txt 2>&1 || fail "validate --help"
  doc=$(grep -o "$base/share/doc/bnrun/docs/[A-Z]*\.md" help.txt | head -1)
  [ -n "$doc" ] && [ -s "$doc" ] || fail "validate --help names no installed doc: $(tail -1 help.txt)"
  # The installed completion script with the installed bnrun, found on PATH.
  completed=$(PATH=$base/bin:$PATH bash -c 'source "$1"; COMP_WORDS=(bnrun -c sm); COMP_CWORD=2; _bnrun; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$base/share/bash-completion/completions/bnrun")
  [ "$completed" = "smoke.json" ] || fail "completion of -c sm: $completed"
  cd "$work" || fail "cd"
}

dpkg -x "$deb" "$work/root" || fail "dpkg -x"
check_installation "$work/root" /usr
echo "package: unpacked and checked"

cmake --install "$build_dir" --prefix "$work/prefix" >"$work/install.txt" 2>&1 || fail "cmake --install: $(cat "$work/install.txt")"
check_installation "$work/prefix" ""
echo "cmake --install: checked"
echo "took ${SECONDS} s"
