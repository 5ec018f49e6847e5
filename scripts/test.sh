#!/usr/bin/env bash
# Build ben-prep with its tests and run the whole test suite, twice:
#   1. build-test/  gcc, warnings as errors: every test, and every MPI rank
#                   under valgrind memcheck (label valgrind);
#   2. build-asan/  clang with AddressSanitizer + UBSan and the libFuzzer
#                   targets: every test again, and each fuzzer for
#                   FUZZ_SECONDS (default 20).
#
#   scripts/test.sh [ctest options...]     e.g. scripts/test.sh -L unit
#
# With ctest options only the first build's suite runs, with those options.
# BEN_SKIP_SANITIZE=1 skips the second build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
# clang + libFuzzer, valgrind, and a real SLURM (slurm-wlm, munge, PMIx)
# for the job script tests; iproute2 for the multi-node tests.
export BEN_PACKAGES_EXTRA="clang libclang-rt-14-dev valgrind strace slurm-wlm munge libpmix-dev shellcheck iproute2 pigz tabix ${BEN_PACKAGES_EXTRA:-}"

"$here/scripts/setup.sh" "$here/build-test" -DBENPREP_WERROR=ON -DBUILD_TESTING=ON
echo "test: suite 1 of 2: gcc build"
(cd "$here/build-test" && ctest --output-on-failure -j "$jobs" "$@")

if (($# == 0)) && [[ ${BEN_SKIP_SANITIZE:-0} != 1 ]]; then
  CC=clang "$here/scripts/setup.sh" "$here/build-asan" -DBENPREP_WERROR=ON \
    -DBUILD_TESTING=ON -DBENPREP_SANITIZE=ON -DBENPREP_FUZZ=ON
  echo "test: suite 2 of 2: clang build with AddressSanitizer, UBSan, fuzzers"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd "$here/build-asan" && ctest --output-on-failure -j "$jobs")
fi
echo "test: all passed"
