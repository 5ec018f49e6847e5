#!/usr/bin/env bash
# A generated archive of 60 pairs (about 16 MiB of tar data each side, many
# gzip access points) in three splits: converted from pigz-style
# multi-member gzip and plain tar roots on 3 ranks, each reading its chunks
# wherever they lie, the records equal those of the folders.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${BEN_SYNTH:?}" -o "$work/synth" -n 60 >/dev/null
splits=("$work"/synth/splits/*.csv)
# S1 as a plain tar, S2 as gzip members of 1 MiB of tar data each (as pigz
# --independent and bgzip write: many members to read through).
tar -C "$work/synth" -cf "$work/s1.tar" BigEarthNet-S1-v1.0
tar -C "$work/synth" -cf - BigEarthNet-v1.0 |
  python3 -c '
import gzip, sys
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
for i in range(0, len(data), 1 << 20):
    out.write(gzip.compress(data[i:i + (1 << 20)], 1))
' >"$work/s2.tar.gz"

expect 0 "folders" 1 "$work/f" -r1 "$work/synth/BigEarthNet-S1-v1.0" \
  -r2 "$work/synth/BigEarthNet-v1.0" -n "${splits[@]}" --records-per-shard 7
expect 0 "archives" 3 "$work/a" -r1 "$work/s1.tar" -r2 "$work/s2.tar.gz" \
  -n "${splits[@]}" --records-per-shard 7
same_output "generated archive" "$work/f" "$work/a"
points=$(sed -n 's/.*indexed .*s2.tar.gz: .* \([0-9]*\) access points.*/\1/p' "$work/conv.err")
((points >= 8)) || die "only ${points:-no} access points: $(grep indexed "$work/conv.err")"
ok "60 generated pairs from a tar and a multi-member gzip on 3 ranks: same records ($(ls "$work/a" | grep -c tfrecord) shards, $points access points)"
echo "$passed checks passed"
