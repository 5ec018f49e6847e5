#!/usr/bin/env bash
# Build ben-prep with its tests and run the whole test suite.
#
#   scripts/test.sh [ctest options...]     e.g. scripts/test.sh -L unit
#
# Builds in build-test/ with warnings as errors, then runs ctest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-test

"$here/scripts/setup.sh" "$build" -DBENPREP_WERROR=ON -DBUILD_TESTING=ON

cd "$build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
