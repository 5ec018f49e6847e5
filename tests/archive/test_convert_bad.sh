#!/usr/bin/env bash
# Converting from bad archives: a missing, linked or doubled member is a bad
# patch (named ARCHIVE:TOP/MEMBER, skipped with --max-failures); a damaged
# gzip stops the run before any shard is written; a root that is neither a
# folder nor a tar or gzip archive, and --update_json with an S1 archive,
# are usage errors; a read-only archive folder puts the index in OUT; a
# stale index is rebuilt.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

s1=$sample/BigEarthNet-S1-v1.0
s2=$sample/BigEarthNet-v1.0
tar -C "$sample" -cf "$work/s1.tar" BigEarthNet-S1-v1.0
# Row 3 of the golden split file.
p=$(sed -n 3p "$golden_csv" | cut -d, -f1)
shards() { ls "$1" 2>/dev/null | grep -c '\.tfrecord' || true; }

# A member missing from the archive: a bad patch.
tar -C "$sample" -cf "$work/miss.tar" --exclude="${p}_B03.tif" BigEarthNet-v1.0
member="$work/miss.tar:BigEarthNet-v1.0/$p/${p}_B03.tif"
expect 1 "missing member" 2 "$work/m1" -r1 "$work/s1.tar" -r2 "$work/miss.tar" -n "$golden_csv"
grep -qF "line 3: $member: file not found in the archive" "$work/conv.err" ||
  die "missing member not named: $(tail -5 "$work/conv.err")"
expect 3 "missing member, --max-failures 1" 2 "$work/m2" -r1 "$work/s1.tar" -r2 "$work/miss.tar" -n "$golden_csv" --max-failures 1
python3 - "$work/m2/manifest.json" "$member" <<'PY' || die "failure not in the manifest"
import json, sys
f = json.load(open(sys.argv[1]))['failures']
assert len(f) == 1 and f[0]['line'] == 3 and f[0]['file'] == sys.argv[2], f
PY
ok "a missing member: exit 1 naming it; skipped with --max-failures 1 (exit 3, in the manifest)"

# A symbolic link member, and a member twice: bad patches too.
mkdir -p "$work/lnk"
cp -r "$s2" "$work/lnk/"
ln -sf "${p}_B02.tif" "$work/lnk/BigEarthNet-v1.0/$p/${p}_B04.tif"
tar -C "$work/lnk" -cf "$work/link.tar" BigEarthNet-v1.0
expect 1 "symlink member" 1 "$work/l1" -r1 "$s1" -r2 "$work/link.tar" -n "$golden_csv"
grep -q "line 3: .*link.tar:BigEarthNet-v1.0/$p/${p}_B04.tif: a symbolic link in the archive" "$work/conv.err" ||
  die "symlink: $(tail -5 "$work/conv.err")"
tar -C "$sample" -cf "$work/dup.tar" BigEarthNet-v1.0
tar -C "$sample" -rf "$work/dup.tar" "BigEarthNet-v1.0/$p/${p}_B05.tif"
expect 1 "duplicated member" 2 "$work/d1" -r1 "$s1" -r2 "$work/dup.tar" -n "$golden_csv"
grep -q "line 3: .*dup.tar:BigEarthNet-v1.0/$p/${p}_B05.tif: in the archive more than once" "$work/conv.err" ||
  die "duplicate: $(tail -5 "$work/conv.err")"
ok "a symlink member and a member twice: bad patches, named"

# A damaged gzip: found while indexing, nothing converted.
gzip -c "$work/s1.tar" >"$work/bad.tar.gz"
size=$(stat -c %s "$work/bad.tar.gz")
head -c 2048 /dev/zero | tr '\0' '\377' |
  dd of="$work/bad.tar.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect 1 "damaged gzip" 3 "$work/g1" -r1 "$work/bad.tar.gz" -r2 "$s2" -n "$golden_csv"
grep -q "error: $work/bad.tar.gz: the archive is damaged from byte .*; nothing is converted" "$work/conv.err" ||
  die "damaged gzip: $(tail -5 "$work/conv.err")"
[[ $(shards "$work/g1") == 0 ]] || die "damaged gzip: a shard was written"
[[ ! -e $work/g1/ben-prep.journal ]] || die "damaged gzip: a journal was left"
grep -q "failed: bad input patch; no manifest was written$" "$work/conv.err" ||
  die "damaged gzip: $(tail -3 "$work/conv.err")"
ok "a damaged gzip: exit 1 naming it, no shard, no journal"

# Not a tar: bzip2, random bytes: usage errors, nothing created.
bzip2 -c "$work/s1.tar" >"$work/s1.tar.bz2"
head -c 4096 /dev/urandom >"$work/random.bin"
expect 2 "bzip2" 2 "$work/b1" -r1 "$work/s1.tar.bz2" -r2 "$s2" -n "$golden_csv"
grep -q -- "-r1 $work/s1.tar.bz2: a bzip2 file: only folders, tar and gzip-compressed tar archives can be read" "$work/conv.err" ||
  die "bzip2: $(cat "$work/conv.err")"
expect 2 "random bytes" 1 "$work/b1" -r1 "$s1" -r2 "$work/random.bin" -n "$golden_csv"
grep -q -- "-r2 $work/random.bin: neither a folder nor a tar or gzip archive" "$work/conv.err" ||
  die "random: $(cat "$work/conv.err")"
[[ ! -e $work/b1 ]] || die "not a tar: OUT was created"
ok "bzip2 and random bytes as roots: usage errors"

# --update_json with an S1 archive: a usage error on every rank, saying why.
expect 2 "--update_json" 2 "$work/u1" -r1 "$work/s1.tar" -r2 "$s2" -n "$golden_csv" --update_json
grep -q "cannot go with the tar archive .*s1.tar as -r1: it rewrites the S1 JSON files" "$work/conv.err" ||
  die "--update_json: $(cat "$work/conv.err")"
[[ ! -e $work/u1 ]] || die "--update_json: OUT was created"
ok "--update_json with an S1 archive: exit 2, saying why"

# A stale index (the archive touched): rebuilt, with a message.
expect 0 "first run" 1 "$work/t1" -r1 "$work/s1.tar" -r2 "$s2" -n "$golden_csv"
[[ -f $work/s1.tar.bpidx ]] || die "no index beside the archive"
touch -d '2001-01-01' "$work/s1.tar"
expect 0 "stale index" 2 "$work/t2" -r1 "$work/s1.tar" -r2 "$s2" -n "$golden_csv"
grep -q "s1.tar: its index .*s1.tar.bpidx is stale (.*): building it again" "$work/conv.err" ||
  die "stale: $(cat "$work/conv.err")"
same_output "after a stale index" "$work/t1" "$work/t2"
ok "a stale index: rebuilt with a message, same records"

# A read-only archive folder: the index goes to OUT (as an unprivileged
# user: root writes anywhere).
if command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
  mkdir -p "$work/ro"
  cp "$work/s1.tar" "$work/ro/"
  chmod 755 "$work" && chmod 555 "$work/ro" && chmod 777 "$work"
  rc=0
  (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp \
    "${BEN_PREP:?}" -r1 "$work/ro/s1.tar" -r2 "$s2" -o "$work/ro-out" -n "$golden_csv") \
    >"$work/conv.out" 2>"$work/conv.err" || rc=$?
  [[ $rc == 0 ]] || { cat "$work/conv.err"; die "read-only: status $rc"; }
  [[ -f $work/ro-out/s1.tar.bpidx && ! -e $work/ro/s1.tar.bpidx ]] || die "read-only: index not in OUT"
  chmod 755 "$work/ro"
  ok "read-only archive folder: index in OUT"
else
  echo "skip: read-only folder (needs root and setpriv)"
fi
echo "$passed checks passed"
