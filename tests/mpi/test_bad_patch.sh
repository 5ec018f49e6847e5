#!/usr/bin/env bash
# A missing band file or patch folder stops the run: non-zero exit on every
# rank, a message naming the file and the CSV line, no manifest, no
# temporary or half-written shard left under any name.
#
#   test_bad_patch.sh NP     environment: BEN_PREP, SHARED, MPIRUN
set -euo pipefail
np=$1
: "${BEN_PREP:?}" "${SHARED:?}" "${MPIRUN:?}"
read -r -a mpirun <<<"$MPIRUN"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=$SHARED/bigearthnet-v1-sample
csv=$SHARED/golden/example_mm.csv

# A copy of the sample made of symlinks, so files can be taken away.
mkdir -p "$tmp/S1" "$tmp/S2"
for d in "$sample/BigEarthNet-S1-v1.0"/* "$sample/BigEarthNet-v1.0"/*; do
  dest=$tmp/S1
  [[ $d == */BigEarthNet-v1.0/* ]] && dest=$tmp/S2
  mkdir -p "$dest/$(basename "$d")"
  ln -s "$d"/* "$dest/$(basename "$d")/"
done

fail() { echo "FAIL: $*" >&2; exit 1; }

expect_failure() { # what, file expected in the message, csv line
  local what=$1 file=$2 line=$3 rc=0
  rm -rf "$tmp/out"
  "${mpirun[@]}" -np "$np" "$BEN_PREP" -r1 "$tmp/S1" -r2 "$tmp/S2" \
    -o "$tmp/out" -n "$csv" --records-per-shard 2 2>"$tmp/err" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$tmp/err" >&2; fail "$what: exit status $rc, expected 1"; }
  grep -qF "$file" "$tmp/err" || { cat "$tmp/err" >&2; fail "$what: message does not name $file"; }
  grep -q "example_mm.csv line $line:" "$tmp/err" || { cat "$tmp/err" >&2; fail "$what: message does not name CSV line $line"; }
  [[ ! -e $tmp/out/manifest.json ]] || fail "$what: a manifest was written"
  if find "$tmp/out" -name '*.tmp' | grep -q .; then fail "$what: temporary files left"; fi
  # The shard holding the bad row (rows 5-6 with 2 per shard) must not exist.
  [[ ! -e $tmp/out/example_mm-00002-of-00003.tfrecord ]] || fail "$what: the failed shard exists under its final name"
  # Any shard that does exist must be complete: compare with the golden bytes.
  # Shard i holds records 2i and 2i+1; the golden index gives their offsets.
  local i off size
  for i in 0 1; do
    local f=$tmp/out/example_mm-0000$i-of-00003.tfrecord
    [[ -e $f ]] || continue
    off=$(awk -v r=$((2 * i + 1)) 'NR == r {print $1}' "$SHARED/golden/example_mm.tfrecord.idx")
    size=$(stat -c %s "$f")
    cmp -s "$f" <(tail -c +$((off + 1)) "$SHARED/golden/example_mm.tfrecord" | head -c "$size") ||
      fail "$what: $f is not a complete shard"
  done
  echo "PASS: $what ($np ranks)"
}

# Line 5 of the CSV is S2B_MSIL2A_20170924T93020_69_24.
bad_s2=S2B_MSIL2A_20170924T93020_69_24
rm "$tmp/S2/$bad_s2/${bad_s2}_B8A.tif"
expect_failure "missing band file" "$tmp/S2/$bad_s2/${bad_s2}_B8A.tif" 5

rm -r "$tmp/S2/$bad_s2"
expect_failure "missing patch folder" "$tmp/S2/$bad_s2" 5
