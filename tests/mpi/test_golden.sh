#!/usr/bin/env bash
# MPI test over the real sample: NP ranks, RPS records per shard. The shards,
# concatenated in manifest order, must equal the golden record file, and the
# independent checker must accept the output down to every pixel.
#
#   test_golden.sh NP RPS     environment: BEN_PREP, BP_CHECK, SHARED, MPIRUN
set -euo pipefail
np=$1 rps=$2
: "${BEN_PREP:?}" "${BP_CHECK:?}" "${SHARED:?}" "${MPIRUN:?}"
read -r -a mpirun <<<"$MPIRUN"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=$SHARED/bigearthnet-v1-sample
csv=$SHARED/golden/example_mm.csv
rows=$(grep -c . "$csv")

"${mpirun[@]}" -np "$np" "$BEN_PREP" -r1 "$sample/BigEarthNet-S1-v1.0" \
  -r2 "$sample/BigEarthNet-v1.0" -o "$tmp/out" -n "$csv" \
  --records-per-shard "$rps" -q

expected_shards=$(((rows + rps - 1) / rps))
shards=$(find "$tmp/out" -name '*.tfrecord' | wc -l)
if [[ $shards -ne $expected_shards ]]; then
  echo "FAIL: $shards shard files, expected $expected_shards" >&2
  exit 1
fi
if find "$tmp/out" -name '*.tmp' | grep -q .; then
  echo "FAIL: temporary files left behind" >&2
  exit 1
fi
# Shard names sort in row order: plain concatenation in name order must
# give the golden file too.
cat "$tmp/out"/example_mm-*.tfrecord | cmp - "$SHARED/golden/example_mm.tfrecord"
"$BP_CHECK" "$tmp/out" --golden "$SHARED/golden/example_mm.tfrecord" \
  --sources "$sample/BigEarthNet-S1-v1.0" "$sample/BigEarthNet-v1.0" \
  --labels "$SHARED/label_indices.json"
echo "PASS: $np ranks, $rps records per shard, $shards shards"
