#!/usr/bin/env bash
# The statistics in the manifest (per split and band: count, mean, std,
# min, max; per label: patch count) equal a direct computation over the
# source files: ben-prep verify --deep finds every record equal to its
# sources and computes the statistics of the records, mean and std within
# a relative error of 1e-9, min, max and counts exact.
#
#   test_stats.sh NP     environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
np=$1
require_env BEN_PREP BEN_SYNTH SHARED MPIRUN
use_mpirun
make_tmp

"$BEN_SYNTH" -o "$tmp/a" -n 150 --seed 11 -q
a=$tmp/a
ben_prep "$np" -r1 "$a/BigEarthNet-S1-v1.0" -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out" \
  -n "$a/splits/train.csv" "$a/splits/val.csv" "$a/splits/test.csv" \
  --records-per-shard 7 -q
verify_np=$np
verify_out "$tmp/out" --deep "$a/BigEarthNet-S1-v1.0" "$a/BigEarthNet-v1.0" ||
  fail "verify --deep: $(head -n 5 "$tmp/check")"
# The checker must notice a wrong figure: change one mean in a copy.
cp -r "$tmp/out" "$tmp/bad"
sed -i '0,/"mean": /s/"mean": \([-0-9.e]*\)/"mean": 1\1/' "$tmp/bad/manifest.json"
run_status verify_out "$tmp/bad" --deep "$a/BigEarthNet-S1-v1.0" "$a/BigEarthNet-v1.0"
[[ $rc -eq 1 ]] || { cat "$tmp/check" >&2; fail "a changed mean: verify exit status $rc, expected 1"; }
grep -q "error: split [a-z]*: statistics\.bands\.[A-Z0-9]*\.mean is" "$tmp/check" ||
  { cat "$tmp/check" >&2; fail "verify does not say which mean is wrong"; }
pass "statistics on $np rank(s) match the sources; a wrong mean is caught"
