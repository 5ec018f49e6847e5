# shellcheck shell=bash
# Helpers of the reliability tests that run ben-prep under mpirun, signal
# its ranks and compare the output with an uninterrupted run. Sourced after
# make_tmp; it sources tests/lib.sh (checks, clocks, tagged ranks, mpirun)
# and adds what only these tests need. BEN_PREP, BEN_SYNTH and MPIRUN come
# from the environment.

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_mpirun

# Every shard of OUT $1 under a final name must be journaled and equal to
# the shard of the uninterrupted run in REF $2; sets kept to their number.
check_final_shards() {
  local out=$1 ref=$2 f name
  kept=0
  for f in "$out"/*.tfrecord; do
    [[ -e $f ]] || continue
    name=${f##*/}
    grep -qE "\"shard\": ?\"$name\"" "$out/ben-prep.journal" ||
      fail "$name is under its final name but not in the journal"
    cmp -s "$f" "$ref/$name" || fail "$name is not complete"
    kept=$((kept + 1))
  done
}

# OUT $1 must hold what REF $2 holds: the same files, every shard byte for
# byte, the manifest up to its "run" object.
same_output() {
  local out=$1 ref=$2 f
  diff <(cd "$ref" && ls -A) <(cd "$out" && ls -A) >/dev/null ||
    fail "the files differ from the uninterrupted run's: $(diff <(cd "$ref" && ls -A) <(cd "$out" && ls -A) | tr '\n' ' ')"
  for f in "$ref"/*.tfrecord; do
    cmp -s "$f" "$out/${f##*/}" || fail "${f##*/} differs from the uninterrupted run's"
  done
  diff <(sed '/"run": {/,$d' "$ref/manifest.json") \
    <(sed '/"run": {/,$d' "$out/manifest.json") >/dev/null 2>&1 ||
    fail "the manifest differs from the uninterrupted run's"
}

# A 400-patch archive in a=$tmp/archive; args: the options of a run over
# its three splits, 10 records per shard; $tmp/ref: the output of an
# uninterrupted 3-rank run (nshards shards). Returns 1 (after fail) when that
# run fails.
make_reference() {
  a=$tmp/archive
  "$BEN_SYNTH" -o "$a" -n 400 --seed 5 -q
  args=(-r1 "$a/BigEarthNet-S1-v1.0" -r2 "$a/BigEarthNet-v1.0"
    -n "$a/splits/train.csv" "$a/splits/val.csv" "$a/splits/test.csv"
    --records-per-shard 10)
  "${mpirun[@]}" -np 3 "$BEN_PREP" "${args[@]}" -o "$tmp/ref" -q 2>"$tmp/err" ||
    { fail "reference run: exit status $?"; return 1; }
  nshards=$(ls "$tmp/ref"/*.tfrecord | wc -l)
  echo "reference run on 3 ranks: $nshards shards"
}
