#!/usr/bin/env bash
# The demo: build ben-prep, generate a small synthetic BigEarthNet-MM
# archive, convert it with mpirun on several ranks and show what came out;
# then convert the same patches straight from the two .tar.gz files users
# download, with nothing extracted, and show that the shards are the same.
#
#   scripts/demo.sh [PATCHES] [RANKS]      (defaults: 300 patches, 3 ranks)
#
# Output goes to demo-out/ in the project folder: archive/ (the patch
# folders), tfrecords/ (their shards), downloads/ (the same patches as
# BigEarthNet-v1.0.tar.gz and BigEarthNet-S1-v1.0.tar.gz) and
# tfrecords-from-tar/ (their shards).
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

echo
echo "demo: the same patches as the two downloaded files, $out/downloads/*.tar.gz"
"$build/ben-synth" -o "$out/downloads" -n "$patches" --archive gz
ls -l "$out/downloads"

echo "demo: converting straight from the .tar.gz files: one rank per archive indexes it first, then every rank reads the patches it needs through the index"
set -x
mpirun "${mpi_flags[@]}" -np "$ranks" "$build/ben-prep" \
  -r1 "$out/downloads/BigEarthNet-S1-v1.0.tar.gz" \
  -r2 "$out/downloads/BigEarthNet-v1.0.tar.gz" \
  -o "$out/tfrecords-from-tar" -n "$out/archive/splits/train.csv" \
  "$out/archive/splits/val.csv" "$out/archive/splits/test.csv" \
  --records-per-shard 64
{ set +x; } 2>/dev/null
ls -l "$out/downloads"/*.bpidx

same=0
for f in "$out/tfrecords"/*.tfrecord; do
  cmp -s "$f" "$out/tfrecords-from-tar/${f##*/}" || same=1
done
if [[ $same -eq 0 ]]; then
  echo "demo: every shard from the .tar.gz files is byte-identical to the shard from the folders"
else
  echo "demo: the shards from the .tar.gz files differ from the folders' shards" >&2
  exit 1
fi
