#!/usr/bin/env bash
# The demo: build ben-prep, generate a small synthetic BigEarthNet-MM
# archive, convert it with mpirun on several ranks and show what came out.
#
#   scripts/demo.sh [PATCHES] [RANKS]      (defaults: 300 patches, 3 ranks)
#
# Output goes to demo-out/ in the project folder (archive/ and tfrecords/).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
patches=${1:-300}
ranks=${2:-3}
build=$here/build
out=$here/demo-out

"$here/scripts/setup.sh" "$build"

mpi_flags=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)

rm -rf "$out"
echo "demo: generating $patches synthetic patch pairs in $out/archive"
"$build/ben-synth" -o "$out/archive" -n "$patches"

echo "demo: converting with mpirun -np $ranks (rank 0 hands out chunks, ranks 1..$((ranks - 1)) write shards)"
set -x
mpirun "${mpi_flags[@]}" -np "$ranks" "$build/ben-prep" \
  -r1 "$out/archive/BigEarthNet-S1-v1.0" -r2 "$out/archive/BigEarthNet-v1.0" \
  -o "$out/tfrecords" -n "$out/archive/splits/train.csv" \
  "$out/archive/splits/val.csv" "$out/archive/splits/test.csv" \
  --records-per-shard 64
{ set +x; } 2>/dev/null

echo
echo "demo: output in $out/tfrecords:"
ls -l "$out/tfrecords"
echo "demo: every shard, its record count, size and CRC-32C are listed in $out/tfrecords/manifest.json"

echo
echo "demo: checking the output with ben-prep verify (every shard, every record, every pixel)"
mpirun "${mpi_flags[@]}" -np 2 "$build/ben-prep" verify "$out/tfrecords" \
  --deep "$out/archive/BigEarthNet-S1-v1.0" "$out/archive/BigEarthNet-v1.0"
