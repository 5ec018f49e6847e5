#!/usr/bin/env bash
# Every tar and gzip flavour real tools write, from the real sample and a
# generated archive: every member read back through the index (in name
# order, random patch order and archive order) equals the file's bytes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
synth=${BEN_SYNTH:?}

s2=$sample/BigEarthNet-v1.0
s1=$sample/BigEarthNet-S1-v1.0
members_of "$s2" >"$work/s2.list"
members_of "$s1" >"$work/s1.list"
shuffle_patches "$work/s2.list" "$work/s2.random"

# GNU tar formats; S1 paths are over 100 bytes: GNU 'L' records, ustar's
# prefix field, pax 'x' headers.
for fmt in gnu pax ustar; do
  tar -C "$sample" --format=$fmt -cf "$work/s1-$fmt.tar" BigEarthNet-S1-v1.0
  tar -C "$sample" --format=$fmt -cf "$work/s2-$fmt.tar" BigEarthNet-v1.0
  roundtrip "S1 tar --format=$fmt" "$work/s1-$fmt.tar" "$s1" "$work/s1.list"
  roundtrip "S2 tar --format=$fmt" "$work/s2-$fmt.tar" "$s2" "$work/s2.random"
done
grep -q '././@LongLink' "$work/s1-gnu.tar" || die "no GNU long-name record in the gnu tar"
grep -q 'PaxHeaders' "$work/s1-pax.tar" || die "no pax header in the pax tar"

# A leading "./", and a top folder of another name.
tar -C "$sample" -cf "$work/dot.tar" ./BigEarthNet-v1.0
roundtrip "tar with ./ names" "$work/dot.tar" "$s2" "$work/s2.list"
mkdir -p "$work/renamed" && cp -r "$s2" "$work/renamed/whatever-root"
tar -C "$work/renamed" -cf "$work/renamed.tar" whatever-root
roundtrip "top folder of any name" "$work/renamed.tar" "$s2" "$work/s2.list"
[[ $("$tool" list "$work/renamed.tar.bpidx" | wc -l) == $(wc -l <"$work/s2.list") ]] ||
  die "list of the renamed archive"

# Python's tarfile: pax (its default) and GNU.
for fmt in PAX_FORMAT GNU_FORMAT USTAR_FORMAT; do
  python3 - "$sample" "$work/py-$fmt.tar" "$fmt" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[2], 'w', format=getattr(tarfile, sys.argv[3])) as t:
    t.add(sys.argv[1] + '/BigEarthNet-S1-v1.0', arcname='BigEarthNet-S1-v1.0')
EOF
  roundtrip "python tarfile $fmt" "$work/py-$fmt.tar" "$s1" "$work/s1.list"
done
# pax records forcing long paths for every member (python writes them for
# non-ASCII or long names only): path and size from 'x' headers.
python3 - "$sample" "$work/py-paxpath.tar" <<'EOF'
import os, sys, tarfile
root = sys.argv[1] + '/BigEarthNet-v1.0'
with tarfile.open(sys.argv[2], 'w', format=tarfile.PAX_FORMAT) as t:
    for d in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, d))):
            p = os.path.join(root, d, f)
            ti = t.gettarinfo(p, arcname='BigEarthNet-v1.0/%s/%s' % (d, f))
            ti.pax_headers = {'path': ti.name, 'size': str(ti.size), 'comment': 'x' * 300}
            ti.name = 'short'
            with open(p, 'rb') as fh:
                t.addfile(ti, fh)
EOF
roundtrip "pax path and size records" "$work/py-paxpath.tar" "$s2" "$work/s2.random"

# gzip: one member at levels 1 and 9, concatenated members, pigz, bgzip.
gzip -1 -c "$work/s2-gnu.tar" >"$work/s2-1.tar.gz"
gzip -9 -c "$work/s2-gnu.tar" >"$work/s2-9.tar.gz"
roundtrip "gzip -1" "$work/s2-1.tar.gz" "$s2" "$work/s2.random" 65536
roundtrip "gzip -9" "$work/s2-9.tar.gz" "$s2" "$work/s2.random" 65536
split -b 300000 "$work/s2-gnu.tar" "$work/piece."
for p in "$work"/piece.*; do gzip -c "$p"; done >"$work/concat.tar.gz"
roundtrip "concatenated gzip members" "$work/concat.tar.gz" "$s2" "$work/s2.random" 65536
[[ $(kv gz_members "$work/build.out") -ge 4 ]] || die "concatenated: gz_members $(kv gz_members "$work/build.out")"
if command -v pigz >/dev/null; then
  pigz -p 2 -b 128 -c "$work/s2-gnu.tar" >"$work/pigz.tar.gz"
  roundtrip "pigz" "$work/pigz.tar.gz" "$s2" "$work/s2.random" 65536
  pigz -p 2 -i -b 128 -c "$work/s2-gnu.tar" >"$work/pigz-i.tar.gz"
  roundtrip "pigz -i (independent blocks)" "$work/pigz-i.tar.gz" "$s2" "$work/s2.random" 65536
else
  echo "skip: pigz not installed (apt-get install pigz)"
fi
if command -v bgzip >/dev/null; then
  bgzip -c "$work/s2-gnu.tar" >"$work/bgzip.tar.gz"
  roundtrip "bgzip (a gzip member per 64 KiB)" "$work/bgzip.tar.gz" "$s2" "$work/s2.random" 65536
  [[ $(kv gz_members "$work/build.out") -gt 10 ]] || die "bgzip: gz_members"
else
  echo "skip: bgzip not installed (apt-get install tabix)"
fi
# gzip with a file name and a header CRC (FNAME, FHCRC).
python3 - "$work/s1-gnu.tar" "$work/fhcrc.tar.gz" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
head = b'\x1f\x8b\x08\x0e' + struct.pack('<I', 0) + b'\x00\x03'
head += struct.pack('<H', 4) + b'abcd' + b's1.tar\x00'  # FEXTRA, FNAME
head += struct.pack('<H', zlib.crc32(head) & 0xffff)    # FHCRC
c = zlib.compressobj(6, zlib.DEFLATED, -15)
body = c.compress(data) + c.flush()
open(sys.argv[2], 'wb').write(head + body + struct.pack('<II', zlib.crc32(data), len(data)))
EOF
roundtrip "gzip header with FEXTRA, FNAME, FHCRC" "$work/fhcrc.tar.gz" "$s1" "$work/s1.list" 65536

# A generated archive: many folders, several index blocks, access points,
# an external sort with many runs.
"$synth" -o "$work/synth" -n 60 >/dev/null
ts2=$work/synth/BigEarthNet-v1.0
members_of "$ts2" >"$work/t.list"
shuffle_patches "$work/t.list" "$work/t.random"
tar -C "$work/synth" -cf "$work/t.tar" BigEarthNet-v1.0
tar -tf "$work/t.tar" | grep -v '/$' | sed 's|^BigEarthNet-v1.0/||' >"$work/t.order"
gzip -c "$work/t.tar" >"$work/t.tar.gz"
roundtrip "synthetic tar, 64 KiB sort memory" "$work/t.tar" "$ts2" "$work/t.random" 0 65536
[[ $(kv sort_runs "$work/build.out") -ge 2 ]] || die "expected an external sort of several runs"
roundtrip "synthetic gzip, random order" "$work/t.tar.gz" "$ts2" "$work/t.random" 262144
[[ $(kv jumps "$work/read.out") -gt 20 ]] || die "random order should jump"
roundtrip "synthetic gzip, archive order" "$work/t.tar.gz" "$ts2" "$work/t.order" 262144
[[ $(kv reinflated "$work/read.out") == 0 ]] || die "archive order inflated bytes twice"
[[ $(kv inflated "$work/read.out") -le $(stat -c %s "$work/t.tar") ]] ||
  die "archive order inflated more than the tar stream"
[[ $(kv jumps "$work/read.out") -le 3 ]] || die "archive order: $(kv jumps "$work/read.out") jumps"
ok "archive order: no byte inflated twice"
# Plain tar in archive order: a handful of large reads.
"$tool" extract "$work/t.tar" "$work/t.tar.bpidx" "$work/t.order" "$work/out2" >"$work/r.out"
reads=$(kv reads "$work/r.out")
(( reads * 10 < $(kv members "$work/r.out") )) || die "tar in archive order: $reads reads"
ok "plain tar in archive order: $reads reads for $(kv members "$work/r.out") members"

# Folder entries are optional: an archive of files only.
(cd "$work/synth" && find BigEarthNet-v1.0 -type f | LC_ALL=C sort) >"$work/files"
tar -C "$work/synth" --no-recursion -cf "$work/files.tar" -T "$work/files"
roundtrip "no folder entries" "$work/files.tar" "$ts2" "$work/t.list"

echo "$passed passed, 0 failed"
