#!/usr/bin/env bash
# Run the libFuzzer targets longer than the test suite does.
#
#   scripts/fuzz.sh [SECONDS]      (default 600 per target)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BEN_PACKAGES_EXTRA="clang libclang-rt-14-dev ${BEN_PACKAGES_EXTRA:-}"
CC=clang "$here/scripts/setup.sh" "$here/build-asan" -DBUILD_TESTING=ON \
  -DBENPREP_SANITIZE=ON -DBENPREP_FUZZ=ON
export FUZZ_SECONDS=${1:-600}
cd "$here/build-asan"
ctest -L fuzz -V
