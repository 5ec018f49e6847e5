#!/usr/bin/env bash
# MPI test over the real sample: NP ranks, RPS records per shard. The shards,
# concatenated in manifest order, must equal the golden record file, and the
# independent checker must accept the output down to every pixel.
#
#   test_golden.sh NP RPS     environment: BEN_PREP, BP_CHECK, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
np=$1 rps=$2
require_env BEN_PREP BP_CHECK SHARED MPIRUN
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
"$BP_CHECK" "$tmp/out" --golden "$golden" --sources "$sample_s1" "$sample_s2" \
  --labels "$SHARED/label_indices.json"
pass "$np ranks, $rps records per shard, $shards shards"
