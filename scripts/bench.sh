#!/usr/bin/env bash
# The benchmark, one command on a fresh clone: build with the benchmark
# enabled into build-bench/ (installing the missing Debian packages, strace
# and GNU time included, when run as root), then run it through CTest
# (label "bench"; tests/bench/bench.sh does the work).
#
#   scripts/bench.sh [N [R]]     (defaults: N = 2000 patch pairs, R = 5 repetitions)
#
# Environment: BENCH_N, BENCH_R (the same as the arguments), BENCH_DIR (work
# folder, default build-bench/bench; generated archives are kept there),
# BENCH_JSON (default build-bench/bench/bench.json), BENCH_MEM_SIZES
# ("500 4000"), BENCH_RPS (records per shard, 50).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-bench
export BENCH_N=${1:-${BENCH_N:-2000}}
export BENCH_R=${2:-${BENCH_R:-5}}
export BENCH_DIR=${BENCH_DIR:-$build/bench}
export BENCH_JSON=${BENCH_JSON:-$BENCH_DIR/bench.json}

BEN_PACKAGES_EXTRA="${BEN_PACKAGES_EXTRA:-} strace time" \
  "$here/scripts/setup.sh" "$build" -DBENPREP_BENCH=ON

start=$(date +%s)
rc=0
ctest --test-dir "$build" -L bench -V --timeout 3600 || rc=$?
echo
echo "bench: $(($(date +%s) - start)) s; figures in $BENCH_JSON, table in ${BENCH_JSON%.json}.txt"
exit "$rc"
