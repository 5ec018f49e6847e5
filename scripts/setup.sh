#!/usr/bin/env bash
# Set up a build of ben-prep on Debian 12: install the packages it needs
# (when run as root), configure and build. Used by demo.sh and test.sh.
#
#   scripts/setup.sh [BUILD_DIR] [extra cmake -D options...]
#
# Environment: BEN_PACKAGES_EXTRA adds Debian packages to install.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
shift || true

packages=(build-essential cmake pkgconf libopenmpi-dev openmpi-bin
  libgdal-dev gdal-bin libjson-c-dev zlib1g-dev libcunit1-dev curl)
# BEN_PACKAGES_EXTRA: package names separated by blanks.
read -r -a extra <<<"${BEN_PACKAGES_EXTRA:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build" "$@" >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
echo "setup: built ben-prep in $build"
