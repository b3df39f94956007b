#!/usr/bin/env bash
# Installs what the peers of `bnrun_bench --peers` need, which bnrun and its tests do not (bench/peer_bench.cpp):
#   - from Debian 12: PyTorch and pandas (torch_mlp.py), dlib (dlib_mlp), Armadillo and cereal (mlpack_mlp), and
#     both of OpenBLAS's builds, pthread and OpenMP, which the benchmark chooses between per run;
#   - from Debian 13, where alone mlpack 4 is packaged: the headers of libmlpack-dev, libensmallen-dev and
#     libstb-dev, downloaded with a private apt configuration (its own sources list, package lists and cache, all
#     under BUILD_DIR/peer-packages) and unpacked there, so nothing system-wide changes for them.
# Idempotent. Usage: bench/peers/setup.sh [BUILD_DIR]   (default build/release); then
#   cmake --preset release -DBNRUN_BENCH_PEERS=ON && cmake --build --preset release
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=$(realpath -m "${1:-build/release}")

debian12_packages=(python3-torch python3-pandas libdlib-dev libarmadillo-dev libcereal-dev
                   libopenblas0-pthread libopenblas0-openmp)
missing=()
for package in "${debian12_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

packages=$build_dir/peer-packages
if [ -f "$packages/root/usr/include/mlpack/core.hpp" ] && [ -f "$packages/root/usr/include/ensmallen.hpp" ] &&
   [ -f "$packages/root/usr/include/stb/stb_image_resize2.h" ]; then
  exit 0
fi
apt_folder=$packages/apt
mkdir -p "$apt_folder/lists/partial" "$apt_folder/cache/archives/partial" "$apt_folder/empty" "$packages/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  > "$apt_folder/sources.list"
: > "$apt_folder/status"
# Every path apt would read or write is redirected into apt_folder; the system's sources, preferences, package
# lists, cache and dpkg status are neither read nor touched. Downloads run as root, as the folder is root's.
private_apt=(-o "Dir::Etc::SourceList=$apt_folder/sources.list" -o "Dir::Etc::SourceParts=$apt_folder/empty"
             -o "Dir::Etc::Preferences=$apt_folder/empty/preferences"
             -o "Dir::Etc::PreferencesParts=$apt_folder/empty" -o "Dir::State::Lists=$apt_folder/lists"
             -o "Dir::State::status=$apt_folder/status" -o "Dir::Cache=$apt_folder/cache"
             -o "APT::Architectures::=amd64" -o "APT::Sandbox::User=root")
echo "fetching mlpack, ensmallen and stb headers from Debian 13 into $packages" >&2
apt-get "${private_apt[@]}" update -qq
(cd "$packages/debs" && apt-get "${private_apt[@]}" download -qq libmlpack-dev libensmallen-dev libstb-dev)
rm -rf "$packages/root"
for deb in "$packages"/debs/*.deb; do
  dpkg-deb -x "$deb" "$packages/root"
done
ls "$packages"/debs/*.deb | xargs -n1 basename >&2
