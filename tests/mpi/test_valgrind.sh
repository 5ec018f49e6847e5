#!/usr/bin/env bash
# Every rank of an MPI run under valgrind memcheck: no invalid access, no
# use of uninitialised memory, no definite leak in ben-prep (Open MPI's own
# start-up and shut-down allocations are suppressed), on the real sample
# with several shards per worker, and on a run that skips a bad patch.
#
#   environment: BEN_PREP, SHARED, MPIRUN, BP_CHECK; VALGRIND_SUPP (ours)
set -euo pipefail
: "${BEN_PREP:?}" "${SHARED:?}" "${MPIRUN:?}" "${BP_CHECK:?}" "${VALGRIND_SUPP:?}"
read -r -a mpirun <<<"$MPIRUN"
# shellcheck source-path=SCRIPTDIR source=../valgrind/memcheck.sh
source "$(dirname "${BASH_SOURCE[0]}")/../valgrind/memcheck.sh" # sets vg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=$SHARED/bigearthnet-v1-sample

"${mpirun[@]}" -np 3 "${vg[@]}" "$BEN_PREP" -r1 "$sample/BigEarthNet-S1-v1.0" \
  -r2 "$sample/BigEarthNet-v1.0" -o "$tmp/out" -n "$SHARED/golden/example_mm.csv" \
  --records-per-shard 2 -q
"$BP_CHECK" "$tmp/out" --golden "$SHARED/golden/example_mm.tfrecord"
echo "PASS: 3 ranks under memcheck, output identical to the golden records"

# A bad patch skipped under --max-failures: the failure paths too.
mkdir -p "$tmp/S2"
for d in "$sample/BigEarthNet-v1.0"/*; do ln -s "$d" "$tmp/S2/"; done
rm "$tmp/S2/S2A_MSIL2A_20170617T113321_4_55"
rc=0
"${mpirun[@]}" -np 2 "${vg[@]}" "$BEN_PREP" -r1 "$sample/BigEarthNet-S1-v1.0" \
  -r2 "$tmp/S2" -o "$tmp/out2" -n "$SHARED/golden/example_mm.csv" \
  --max-failures 1 -q 2>"$tmp/err" || rc=$?
[[ $rc -eq 3 ]] || { cat "$tmp/err" >&2; echo "FAIL: exit $rc, expected 3" >&2; exit 1; }
echo "PASS: a skipped patch under memcheck (exit 3)"
