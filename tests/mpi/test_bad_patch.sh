#!/usr/bin/env bash
# A missing band file or patch folder stops the run: non-zero exit on every
# rank, a message naming the file and the CSV line, no manifest, no
# temporary or half-written shard left under any name.
#
#   test_bad_patch.sh NP     environment: BEN_PREP, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
np=$1
require_env BEN_PREP SHARED MPIRUN
use_mpirun
make_tmp
fail_log=$tmp/err

# A copy of the sample made of symlinks, so files can be taken away.
link_sample "$tmp"

expect_failure() { # what, file expected in the message, csv line
  local what=$1 file=$2 line=$3 i f
  rm -rf "$tmp/out"
  run_status ben_prep "$np" -r1 "$tmp/S1" -r2 "$tmp/S2" \
    -o "$tmp/out" -n "$golden_csv" --records-per-shard 2 2>"$tmp/err"
  sanitizer_check "$what"
  [[ $rc -eq 1 ]] || fail "$what: exit status $rc, expected 1"
  grep -qF "$file" "$tmp/err" || fail "$what: message does not name $file"
  grep -q "example_mm.csv line $line:" "$tmp/err" || fail "$what: message does not name CSV line $line"
  [[ ! -e $tmp/out/manifest.json ]] || fail "$what: a manifest was written"
  [[ -z $(tmp_files "$tmp/out") ]] || fail "$what: temporary files left"
  # The shard holding the bad row (rows 5-6 with 2 per shard) must not exist.
  [[ ! -e $tmp/out/example_mm-00002-of-00003.tfrecord ]] || fail "$what: the failed shard exists under its final name"
  # Any shard that does exist must be complete: shard i holds exactly the
  # golden records of rows 2i+1 and 2i+2.
  for i in 0 1; do
    f=$tmp/out/example_mm-0000$i-of-00003.tfrecord
    [[ -e $f ]] || continue
    cmp -s "$f" <(golden_rows $((2 * i + 1)) $((2 * i + 2))) ||
      fail "$what: $f is not a complete shard"
  done
  pass "$what ($np ranks)"
}

# Line 5 of the CSV is S2B_MSIL2A_20170924T93020_69_24.
bad_s2=S2B_MSIL2A_20170924T93020_69_24
rm "$tmp/S2/$bad_s2/${bad_s2}_B8A.tif"
expect_failure "missing band file" "$tmp/S2/$bad_s2/${bad_s2}_B8A.tif" 5

rm -r "$tmp/S2/$bad_s2"
expect_failure "missing patch folder" "$tmp/S2/$bad_s2" 5
