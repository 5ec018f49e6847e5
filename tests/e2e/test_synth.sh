#!/usr/bin/env bash
# End to end on a generated archive: PATCHES pairs in three splits,
# converted on NP ranks, then every record checked pixel by pixel and label
# by label against the source files by ben-prep verify --deep. A second
# conversion on one rank must give byte-identical shards.
#
#   test_synth.sh PATCHES NP RPS
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
patches=$1 np=$2 rps=$3
require_env BEN_PREP BEN_SYNTH SHARED MPIRUN
use_mpirun
make_tmp

"$BEN_SYNTH" -o "$tmp/archive" -n "$patches" --seed 7 -q
a=$tmp/archive
splits=("$a/splits/train.csv" "$a/splits/val.csv" "$a/splits/test.csv")
for s in "${splits[@]}"; do
  [[ $(wc -l <"$s") -gt 0 ]] || fail "generator wrote an empty $s"
done

convert() { # ranks, output folder
  ben_prep "$1" -r1 "$a/BigEarthNet-S1-v1.0" -r2 "$a/BigEarthNet-v1.0" -o "$2" \
    -n "${splits[@]}" --records-per-shard "$rps" -q
}

convert "$np" "$tmp/out"
verify_np=$np
verify_out "$tmp/out" --deep "$a/BigEarthNet-S1-v1.0" "$a/BigEarthNet-v1.0" ||
  fail "verify --deep: $(head -n 5 "$tmp/check")"

convert 1 "$tmp/out1"
for f in "$tmp/out1"/*.tfrecord; do
  cmp "$f" "$tmp/out/$(basename "$f")"
done
n1=$(find "$tmp/out1" -name '*.tfrecord' | wc -l)
n=$(find "$tmp/out" -name '*.tfrecord' | wc -l)
[[ $n -eq $n1 ]] || fail "$n shards on $np ranks, $n1 on one rank"
# The manifests differ only in the facts of the run.
diff <(without_run "$tmp/out/manifest.json") <(without_run "$tmp/out1/manifest.json")
pass "$patches patches on $np ranks: every pixel and label checked; identical on 1 rank"
