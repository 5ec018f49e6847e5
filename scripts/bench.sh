#!/usr/bin/env bash
# The benchmark, one command on a fresh clone: build with the benchmark
# enabled into build-bench/ (installing the missing Debian packages, strace
# and GNU time included, when run as root), then run it through CTest
# (label "bench"; tests/bench/bench.sh does the work), then the archive
# section (tests/bench/archive.sh, not a CTest test: tar and gzip roots).
#
#   scripts/bench.sh [N [R]]     (defaults: N = 2000 patch pairs, R = 5 repetitions)
#
# The archive section: BENCH_ARCHIVE_N patch pairs (default 500),
# BENCH_ARCHIVE_R repetitions (default 3), BENCH_SPACINGS (access point
# spacings in MiB, "0.5 1 2"), BENCH_ARCHIVE_MEM_N (pairs of the larger
# .tar.gz on which the worker's peak memory is measured again, default 4
# times BENCH_ARCHIVE_N, 0 to leave it out); BENCH_ARCHIVE=0 leaves it out.
# The CTest test archive_bench (tests/archive/bench_archive.sh, the reader's
# own longer benchmark) is not run here.
#
# Environment: BENCH_N, BENCH_R (the same as the arguments), BENCH_DIR (work
# folder, default build-bench/bench; generated archives are kept there),
# BENCH_JSON (default build-bench/bench/bench.json), BENCH_MEM_SIZES
# ("500 4000"), BENCH_RPS (records per shard, 50), BENCH_STRICT (default 0:
# missed targets are listed at the end and the exit status stays 0; 1: exit
# non-zero when a target is missed, as the CTest test does on its own).
#
# Exit status: 0 when the benchmark ran (whatever the targets, unless
# BENCH_STRICT=1); non-zero when the build or a run failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-bench
export BENCH_N=${1:-${BENCH_N:-2000}}
export BENCH_R=${2:-${BENCH_R:-5}}
export BENCH_DIR=${BENCH_DIR:-$build/bench}
export BENCH_JSON=${BENCH_JSON:-$BENCH_DIR/bench.json}
# The CTest test is strict unless told otherwise; interactively, not by default.
export BENCH_STRICT=${BENCH_STRICT:-0}

BEN_PACKAGES_EXTRA="${BEN_PACKAGES_EXTRA:-} strace time" \
  "$here/scripts/setup.sh" "$build" -DBENPREP_BENCH=ON

start=$(date +%s)
rc=0
ctest --test-dir "$build" -L bench -E '^archive_bench$' -V --timeout 3600 || rc=$?
if [[ ${BENCH_ARCHIVE:-1} != 0 ]]; then
  echo
  BENCH_BUILD_DIR=$build "$here/tests/bench/archive.sh" "${BENCH_ARCHIVE_N:-500}" \
    "${BENCH_ARCHIVE_R:-3}" || rc=$?
fi
echo
echo "bench: $(($(date +%s) - start)) s; figures in $BENCH_JSON, table in ${BENCH_JSON%.json}.txt"
archive_txt=$BENCH_DIR/archive-${BENCH_ARCHIVE_N:-500}/archive.txt
if [[ ${BENCH_ARCHIVE:-1} != 0 && -f $archive_txt ]] && (($(stat -c %Y "$archive_txt") >= start)); then
  echo "bench: archive section in $archive_txt"
  grep ' FAIL$' "$archive_txt" | sed 's/^/bench: MISSED (archive): /' || true
fi
# The missed targets again, last thing on the screen: from the JSON, if this
# run wrote it (an older one may be there when the benchmark failed early).
if [[ -f $BENCH_JSON ]] && (($(stat -c %Y "$BENCH_JSON") >= start)); then
  missed=$(sed -n 's/^ *{"name": "\([^"]*\)", "measured": \([^,]*\), "op": "\([^"]*\)", "target": \([^,]*\), "unit": "\([^"]*\)", "status": "FAIL".*/  FAIL: \1: measured \2 \5, target \3 \4 \5/p' "$BENCH_JSON")
  if [[ -n $missed ]]; then
    echo "bench: MISSED TARGETS ($(grep -c . <<<"$missed")):"
    echo "$missed"
    ((rc)) || echo "bench: exit status 0 all the same (BENCH_STRICT=1 to fail on missed targets)"
  else
    echo "bench: every measured target met"
  fi
elif ((rc == 0)); then
  echo "bench: WARNING: $BENCH_JSON was not written by this run" >&2
fi
exit "$rc"
