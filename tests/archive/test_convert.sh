#!/usr/bin/env bash
# Converting straight from tar and gzip archives: the records are byte for
# byte those of the extracted folders, and the manifest the same but for
# its inputs, on 1, 2 and 4 ranks, with either root an archive or both;
# also --index-dir, --decoder gdal, S2-only split files, --compression gzip,
# --index and --exclude.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

s1=$sample/BigEarthNet-S1-v1.0
s2=$sample/BigEarthNet-v1.0
tar -C "$sample" -cf "$work/s1.tar" BigEarthNet-S1-v1.0
tar -C "$sample" -cf "$work/s2.tar" BigEarthNet-v1.0
gzip -c "$work/s1.tar" >"$work/s1.tar.gz"
gzip -c "$work/s2.tar" >"$work/s2.tar.gz"

# The folders: what every archive run must give.
expect 0 "folders" 1 "$work/folders" -r1 "$s1" -r2 "$s2" -n "$golden_csv" --records-per-shard 2
# The records are the golden ones.
cat "$work/folders"/example_mm-*.tfrecord | cmp -s - "$SHARED/golden/example_mm.tfrecord" ||
  die "folder records are not the golden records"

check() { # check NP S1-ROOT S2-ROOT [ARGS...]: same output as the folders
  local np=$1 r1=$2 r2=$3
  shift 3
  local out=$work/out-$np-$(basename "$r1")-$(basename "$r2")
  expect 0 "np $np -r1 $r1 -r2 $r2" "$np" "$out" -r1 "$r1" -r2 "$r2" -n "$golden_csv" --records-per-shard 2 "$@"
  same_output "np $np -r1 $(basename "$r1") -r2 $(basename "$r2")" "$work/folders" "$out"
  ok "$np rank(s), -r1 $(basename "$r1") -r2 $(basename "$r2") $*: same records and manifest"
}
check 1 "$work/s1.tar" "$work/s2.tar"
# --index-dir: the indexes go there and nowhere else.
mkdir "$work/idx"
check 2 "$work/s1.tar.gz" "$work/s2.tar.gz" --index-dir "$work/idx"
[[ -f $work/idx/s1.tar.gz.bpidx && -f $work/idx/s2.tar.gz.bpidx ]] || die "--index-dir: no index there"
[[ ! -e $work/s1.tar.gz.bpidx && ! -e $work/s2.tar.gz.bpidx ]] || die "--index-dir: an index beside the archive"
ok "--index-dir: the indexes in DIR only"
check 4 "$s1" "$work/s2.tar.gz" --decoder gdal

# The manifest names each archive: kind, size, CRC-32C of its first and
# last MiB; a folder root has none.
python3 - "$work" "$s1" <<'PY' || die "manifest inputs"
import json, os, sys
w = sys.argv[1]
tar = json.load(open(w + '/out-1-s1.tar-s2.tar/manifest.json'))['inputs']
mixed = json.load(open(w + '/out-4-BigEarthNet-S1-v1.0-s2.tar.gz/manifest.json'))['inputs']
for a, path, kind in ((tar['archive_s1'], w + '/s1.tar', 'tar'),
                      (mixed['archive_s2'], w + '/s2.tar.gz', 'gzip')):
    assert a['kind'] == kind, a
    assert a['bytes'] == os.path.getsize(path), a
    assert len(a['crc32c_first_mib']) == 8 and len(a['crc32c_last_mib']) == 8, a
assert 'archive_s1' not in mixed and mixed['root_folder_s1'] == sys.argv[2], mixed
PY
ok "manifest inputs name each archive with its kind, size and checksums"

# S2-only split files.
cut -d, -f1 "$golden_csv" | tr -d '\r' >"$work/s2only.csv"
expect 0 "S2-only folder" 1 "$work/s2f" -r2 "$s2" -n "$work/s2only.csv" --records-per-shard 4
expect 0 "S2-only gzip" 2 "$work/s2a" -r2 "$work/s2.tar.gz" -n "$work/s2only.csv" --records-per-shard 4
same_output "S2-only" "$work/s2f" "$work/s2a"
ok "S2-only split file from a gzip archive: same records"

# --compression gzip, and --index.
expect 0 "gzip folder" 1 "$work/gzf" -r1 "$s1" -r2 "$s2" -n "$golden_csv" --compression gzip
expect 0 "gzip archive" 2 "$work/gza" -r1 "$work/s1.tar.gz" -r2 "$work/s2.tar" -n "$golden_csv" --compression gzip
same_output "--compression gzip" "$work/gzf" "$work/gza"
ok "--compression gzip: same shards"
# With --exclude too (one patch left out).
sed -n 4p "$golden_csv" | cut -d, -f1 >"$work/exclude.csv"
ix=(-n "$golden_csv" --index --records-per-shard 3 --exclude "$work/exclude.csv")
expect 0 "index folder" 1 "$work/ixf" -r1 "$s1" -r2 "$s2" "${ix[@]}"
expect 0 "index archive" 1 "$work/ixa" -r1 "$work/s1.tar.gz" -r2 "$work/s2.tar.gz" "${ix[@]}"
same_output "--index --exclude" "$work/ixf" "$work/ixa"
ok "--index --exclude: same shards and index files"

echo "$passed checks passed"
