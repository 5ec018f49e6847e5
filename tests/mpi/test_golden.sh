#!/usr/bin/env bash
# MPI test over the real sample: NP ranks, RPS records per shard. The shards,
# concatenated in manifest order, must equal the golden record file, and
# ben-prep verify --deep must accept the output down to every pixel.
#
#   test_golden.sh NP RPS     environment: BEN_PREP, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
np=$1 rps=$2
require_env BEN_PREP SHARED MPIRUN
use_mpirun
make_tmp
rows=$(grep -c . "$golden_csv")

ben_prep "$np" -r1 "$sample_s1" -r2 "$sample_s2" -o "$tmp/out" -n "$golden_csv" \
  --records-per-shard "$rps" -q

expected_shards=$(((rows + rps - 1) / rps))
shards=$(find "$tmp/out" -name '*.tfrecord' | wc -l)
[[ $shards -eq $expected_shards ]] || fail "$shards shard files, expected $expected_shards"
[[ -z $(tmp_files "$tmp/out") ]] || fail "temporary files left behind"
# Shard names sort in row order: plain concatenation in name order must
# give the golden file too.
cat "$tmp/out"/example_mm-*.tfrecord | cmp - "$golden"
check_records "$tmp/out" "$golden" --deep "$sample_s1" "$sample_s2" ||
  fail "verify --deep, golden records: $(head -n 5 "$tmp/check")"
in_shards="$shards shards"
[[ $shards -ne 1 ]] || in_shards="1 shard"
grep -q "^verify: OK: $rows records in $in_shards of 1 split, every pixel and label" "$tmp/check" ||
  fail "verify does not count $rows records in $in_shards: $(tail -n 1 "$tmp/check")"
pass "$np ranks, $rps records per shard, $shards shards"
