#!/usr/bin/env bash
# Installs the Debian 12 packages bnrun builds with, if any are missing. Safe to run again: with everything
# present it only checks (dpkg -s) and returns. With --fuzz it also installs what the libFuzzer build
# (scripts/fuzz.sh) needs: clang, its OpenMP runtime and its sanitizer/fuzzer runtimes. The GCC builds,
# the sanitizer one included, need none of them. qemu-user and jq are for the test that runs the same binary
# on an emulated older CPU and compares the results (tests/cpu/same_bits_across_cpus.sh). openmpi-bin and
# libopenmpi-dev are for training.distributed and its tests (tests/mpi/mpi_cases.sh, mpirun); without them bnrun
# still builds, without distributed training. Slurm and munge are for the test that runs a study as a job array
# on a real single-node cluster (tests/slurm/slurm_cases.sh); no daemon starts on installation (the test starts
# its own and stops them). dpkg-dev is for the Debian package (cpack -G DEB runs its dpkg-shlibdeps to find the
# package's dependencies) and its test (tests/install/install_from_deb.sh); groff-base checks the man page.
# python3-jsonschema checks the config's JSON Schema (bnrun schema) independently (tests/config/schema_agreement.py);
# bnrun itself needs no Python.
set -euo pipefail

packages=(g++ make cmake libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev catch2 zlib1g-dev libopenblas-openmp-dev libxxhash-dev qemu-user jq
          openmpi-bin libopenmpi-dev slurmctld slurmd slurm-client munge dpkg-dev groff-base python3-jsonschema)
if [ "${1:-}" = "--fuzz" ]; then packages+=(clang libomp-dev libclang-rt-dev); fi
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
