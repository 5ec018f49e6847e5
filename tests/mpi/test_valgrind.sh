#!/usr/bin/env bash
# Every rank of an MPI run under valgrind memcheck: no invalid access, no
# use of uninitialised memory, no definite leak in ben-prep (Open MPI's own
# start-up and shut-down allocations are suppressed), on the real sample
# with several shards per worker, on a run that skips a bad patch, and on
# tar and gzip roots (indexed, then read through the index).
#
#   environment: BEN_PREP, SHARED, MPIRUN; VALGRIND_SUPP (ours)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP SHARED MPIRUN VALGRIND_SUPP
use_mpirun
# shellcheck source-path=SCRIPTDIR source=../valgrind/memcheck.sh
source "$(dirname "${BASH_SOURCE[0]}")/../valgrind/memcheck.sh" # sets vg
make_tmp

"${mpirun[@]}" -np 3 "${vg[@]}" "$BEN_PREP" -r1 "$sample_s1" -r2 "$sample_s2" \
  -o "$tmp/out" -n "$golden_csv" --records-per-shard 2 -q
check_records "$tmp/out" "$golden" || fail "not the golden records: $(head -n 5 "$tmp/check")"
pass "3 ranks under memcheck, output identical to the golden records"

# A bad patch skipped under --max-failures: the failure paths too.
mkdir -p "$tmp/S2"
for d in "$sample_s2"/*; do ln -s "$d" "$tmp/S2/"; done
rm "$tmp/S2/S2A_MSIL2A_20170617T113321_4_55"
run_status "${mpirun[@]}" -np 2 "${vg[@]}" "$BEN_PREP" -r1 "$sample_s1" \
  -r2 "$tmp/S2" -o "$tmp/out2" -n "$golden_csv" --max-failures 1 -q 2>"$tmp/err"
[[ $rc -eq 3 ]] || { cat "$tmp/err" >&2; fail "exit $rc, expected 3"; }
pass "a skipped patch under memcheck (exit 3)"

# Archive roots: both indexed (on ranks 1 and 0) and read through the index.
tar -C "$sample_s1/.." -cf "$tmp/s1.tar" "$(basename "$sample_s1")"
tar -C "$sample_s2/.." -czf "$tmp/s2.tar.gz" "$(basename "$sample_s2")"
"${mpirun[@]}" -np 2 "${vg[@]}" "$BEN_PREP" -r1 "$tmp/s1.tar" \
  -r2 "$tmp/s2.tar.gz" -o "$tmp/out3" -n "$golden_csv" --records-per-shard 2 -q
check_records "$tmp/out3" "$golden" || fail "archives: not the golden records: $(head -n 5 "$tmp/check")"
pass "tar and gzip roots under memcheck, output identical to the golden records"
