#!/usr/bin/env bash
# Bad archives and bad indexes: every failure names the archive, the member
# and the reason; damage is found by the index pass; members before the
# damage stay readable and equal to the files, later ones fail; nothing
# crashes or hangs; stale and damaged indexes are rebuilt.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
synth=${BEN_SYNTH:?}

"$synth" -o "$work/synth" -n 24 >/dev/null
tree=$work/synth/BigEarthNet-v1.0
tar -C "$work/synth" -cf "$work/t.tar" BigEarthNet-v1.0
tar -tf "$work/t.tar" | grep -v '/$' | sed 's|^BigEarthNet-v1.0/||' >"$work/order"
gzip -c "$work/t.tar" >"$work/t.tar.gz"
size() { stat -c %s "$1"; }

# Index a damaged archive: it must be reported damaged (reason matching
# $2), every member must read equal to its file or fail naming the archive
# and the damage, and at least $3 members must still be readable.
damaged() {
  local name=$1 pattern=$2 min_ok=$3 archive=$4
  "$tool" build "$archive" "$archive.bpidx" 65536 >"$work/b.out" 2>"$work/b.err" ||
    die "$name: the index was not written"
  grep -q '^damaged=1$' "$work/b.out" || die "$name: not reported damaged"
  grep -Eq "^damage=.*($pattern)" "$work/b.out" ||
    die "$name: damage reason: $(grep ^damage= "$work/b.out")"
  grep -q "warn.*damaged" "$work/b.err" || die "$name: no warning about the damage"
  rm -rf "$work/out"
  if "$tool" extract "$archive" "$archive.bpidx" "$work/order" "$work/out" \
      >"$work/x.out" 2>"$work/x.err"; then
    die "$name: every member read"
  fi
  local good bad
  good=$(kv members "$work/x.out") bad=$(kv failures "$work/x.out")
  ((good >= min_ok)) || die "$name: only $good members readable"
  ((bad > 0)) || die "$name: no failure"
  # No wrong bytes: what was read equals the files.
  if [[ -d $work/out ]]; then
    python3 - "$work/out" "$tree" <<'EOF' || die "$name: a member read differs from its file"
import os, sys
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        q = os.path.join(sys.argv[2], os.path.relpath(p, sys.argv[1]))
        if open(p, 'rb').read() != open(q, 'rb').read():
            sys.exit('%s differs' % q)
EOF
  fi
  # Every failure names the archive and the member, and says damaged.
  local n
  n=$(grep -c "^FAIL $archive:BigEarthNet-v1.0/[^:]*: .*damaged" "$work/x.err" || true)
  [[ $n == "$bad" ]] || { head -3 "$work/x.err"; die "$name: $n of $bad failures name archive, member and damage"; }
  ok "$name: $good members read, $bad fail: $(head -1 "$work/x.err" | cut -c1-150)..."
}

# Truncated archives.
head -c $(($(size "$work/t.tar") / 2 + 700)) "$work/t.tar" >"$work/cut.tar"
damaged "truncated tar" "truncated" 60 "$work/cut.tar"
head -c $(($(size "$work/t.tar.gz") / 2)) "$work/t.tar.gz" >"$work/cut.tar.gz"
damaged "truncated gzip" "truncated" 30 "$work/cut.tar.gz"
# Without tar's end-of-archive block: all members read, still reported.
"$tool" build "$work/t.tar" "$work/t.tar.bpidx" >/dev/null
end=$("$tool" list "$work/t.tar.bpidx" | awk '{e = $3 + $4; if (e > m) m = e} END {print int((m + 511) / 512) * 512}')
head -c "$end" "$work/t.tar" >"$work/noend.tar"
"$tool" build "$work/noend.tar" "$work/noend.bpidx" >"$work/b.out" 2>/dev/null
grep -q '^damage=.*end-of-archive' "$work/b.out" || die "missing end-of-archive block not reported"
ok "missing end-of-archive block reported"

# Damaged deflate data: the whole gzip member is unreadable.
cp "$work/t.tar.gz" "$work/bad-deflate.tar.gz"
mid=$(($(size "$work/t.tar.gz") * 2 / 3))
head -c 4096 /dev/zero | tr '\0' '\377' |
  dd of="$work/bad-deflate.tar.gz" bs=1 seek=$mid conv=notrunc status=none
damaged "damaged deflate data" "damaged gzip data|CRC-32" 0 "$work/bad-deflate.tar.gz"

# Wrong CRC-32 and length in the gzip trailer (one member: nothing is safe).
flip() { # flip FILE OFFSET: invert one byte
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
cp "$work/t.tar.gz" "$work/crc.tar.gz"
flip "$work/crc.tar.gz" $(($(size "$work/crc.tar.gz") - 8))
damaged "wrong gzip CRC-32" "CRC-32" 0 "$work/crc.tar.gz"
cp "$work/t.tar.gz" "$work/len.tar.gz"
flip "$work/len.tar.gz" $(($(size "$work/len.tar.gz") - 3))
damaged "wrong gzip length" "length" 0 "$work/len.tar.gz"
# In the second of two members: the first member's files stay readable.
half=$(($(size "$work/t.tar") / 2 / 512 * 512))
{ head -c $half "$work/t.tar" | gzip -c; tail -c +$((half + 1)) "$work/t.tar" | gzip -c; } >"$work/two.tar.gz"
gz1=$(head -c $half "$work/t.tar" | gzip -c | wc -c)
flip "$work/two.tar.gz" $(($(size "$work/two.tar.gz") - 8))
damaged "wrong CRC-32 in the second gzip member" "member 2 .*CRC-32" 60 "$work/two.tar.gz"
{ head -c $half "$work/t.tar" | gzip -c; tail -c +$((half + 1)) "$work/t.tar" | gzip -c; } >"$work/two-bad.tar.gz"
head -c 4096 /dev/zero | tr '\0' '\377' |
  dd of="$work/two-bad.tar.gz" bs=1 seek=$((gz1 + ($(size "$work/two-bad.tar.gz") - gz1) / 2)) conv=notrunc status=none
damaged "damaged deflate data in the second gzip member" "member 2" 60 "$work/two-bad.tar.gz"

# A tar header with a bad checksum (the 150th member's), plain and gzip.
m=$(sed -n 150p "$work/order")
hdr=$(( $("$tool" list "$work/t.tar.bpidx" | awk -v m="$m" '$1 == m {print $3}') - 512 ))
cp "$work/t.tar" "$work/sum.tar"
flip "$work/sum.tar" $((hdr + 10))
damaged "tar header checksum" "checksum mismatch" 100 "$work/sum.tar"
gzip -c "$work/sum.tar" >"$work/sum.tar.gz"
damaged "tar header checksum inside gzip" "checksum mismatch" 100 "$work/sum.tar.gz"

# Missing members: a normal per-patch failure.
"$tool" build "$work/t.tar.gz" "$work/t.tar.gz.bpidx" >/dev/null
p=$(head -1 "$work/order" | cut -d/ -f1)
"$tool" cat "$work/t.tar.gz" "$work/t.tar.gz.bpidx" "$p/${p}_B99.tif" 2>"$work/e" >/dev/null && die "missing file read"
grep -q "^FAIL $work/t.tar.gz:BigEarthNet-v1.0/$p/${p}_B99.tif: file not found in the archive$" "$work/e" || die "missing file: $(cat "$work/e")"
"$tool" cat "$work/t.tar.gz" "$work/t.tar.gz.bpidx" "NOPE/NOPE_B01.tif" 2>"$work/e" >/dev/null && die "missing folder read"
grep -q "NOPE/NOPE_B01.tif: patch folder not found in the archive$" "$work/e" || die "missing folder: $(cat "$work/e")"
ok "missing file and patch folder: $(cat "$work/e")"

# Links, repeated names, oversized members, other kinds of member.
mkdir -p "$work/odd/R/P"
cp "$tree/$p/${p}_B01.tif" "$work/odd/R/P/P_B01.tif"
ln -s P_B01.tif "$work/odd/R/P/P_B02.tif"
ln "$work/odd/R/P/P_B01.tif" "$work/odd/R/P/P_B03.tif"
head -c $((2 << 20)) /dev/zero >"$work/odd/R/P/P_B04.tif"
head -c $(((1 << 20) - 1)) /dev/zero >"$work/odd/R/P/P_B05.tif"
mkfifo "$work/odd/R/P/P_B06.tif"
mkdir "$work/odd/R/P/P_B07.tif"
echo one >"$work/odd/R/P/P_B08.tif"
(cd "$work/odd" && find R | LC_ALL=C sort) >"$work/odd.files"
tar -C "$work/odd" --no-recursion -cf "$work/odd.tar" -T "$work/odd.files"
echo two >"$work/odd/R/P/P_B08.tif"
tar -C "$work/odd" -rf "$work/odd.tar" R/P/P_B08.tif
"$tool" build "$work/odd.tar" "$work/odd.bpidx" >/dev/null 2>"$work/b.err"
grep -q "P/P_B08.tif' appears more than once" "$work/b.err" || die "no warning for the repeated name"
expect() { # expect MEMBER REASON-PATTERN
  "$tool" cat "$work/odd.tar" "$work/odd.bpidx" "$1" >/dev/null 2>"$work/e" && die "$1 was read"
  grep -Eq "^FAIL $work/odd.tar:R/$1: $2" "$work/e" || die "$1: $(cat "$work/e")"
  ok "$1: $(cut -d' ' -f3- "$work/e")"
}
expect P/P_B02.tif "a symbolic link"
expect P/P_B03.tif "a hard link"
expect P/P_B04.tif "member of 2097152 bytes: larger than 1048575 bytes"
expect P/P_B06.tif "not a regular file"
expect P/P_B07.tif "a folder"
expect P/P_B08.tif "in the archive more than once"
"$tool" cat "$work/odd.tar" "$work/odd.bpidx" P/P_B05.tif | cmp -s - "$work/odd/R/P/P_B05.tif" ||
  die "a member of 1 MiB - 1 bytes"
"$tool" cat "$work/odd.tar" "$work/odd.bpidx" P/P_B01.tif | cmp -s - "$work/odd/R/P/P_B01.tif" ||
  die "P_B01.tif"
ok "members up to 1 MiB - 1 bytes read"

# Not one top folder: refused with the member named.
mkdir -p "$work/two/A/x" "$work/two/B/y" && echo a >"$work/two/A/x/f" && echo b >"$work/two/B/y/g"
tar -C "$work/two" -cf "$work/two.tar" A B
"$tool" build "$work/two.tar" "$work/two.bpidx" >/dev/null 2>"$work/e" && die "two top folders indexed"
grep -q "member 'B.*' lies outside the top-level folder 'A'" "$work/e" || die "two tops: $(cat "$work/e")"
[[ ! -e $work/two.bpidx ]] || die "an index of an unusable archive"
ok "two top folders: $(cut -c1-120 "$work/e")"
tar -C "$work/two/A" -cf "$work/flat.tar" f 2>/dev/null || tar -C "$work/two/A/x" -cf "$work/flat.tar" f
"$tool" build "$work/flat.tar" "$work/flat.bpidx" >/dev/null 2>"$work/e" && die "a top-level file indexed"
grep -q "lies outside any folder" "$work/e" || die "top-level file: $(cat "$work/e")"
ok "a top-level file refused"
head -c 100000 /dev/urandom | gzip >"$work/notar.gz"
"$tool" build "$work/notar.gz" "$work/notar.bpidx" >/dev/null 2>"$work/e" && die "a gzip of no tar indexed"
grep -q "notar.gz: holds no tar archive inside its gzip data: tar header at byte 0" "$work/e" ||
  die "no tar: $(cat "$work/e")"
ok "a gzip file that holds no tar refused"

# Probing by first bytes, never the name.
probe_msg() { "$tool" probe "$1" || true; }
cp "$work/t.tar.gz" "$work/looks-like.tar"
[[ $("$tool" probe "$work/looks-like.tar") == gzip ]] || die "gzip by content"
cp "$work/t.tar" "$work/looks-like.gz"
[[ $("$tool" probe "$work/looks-like.gz") == tar ]] || die "tar by content"
[[ $("$tool" probe "$tree") == folder ]] || die "folder"
head -c 4096 /dev/urandom >"$work/noise"
probe_msg "$work/noise" | grep -q "neither a folder nor a tar or gzip" || die "noise"
bzip2 -c "$work/odd/R/P/P_B01.tif" >"$work/x.bz2" 2>/dev/null && {
  probe_msg "$work/x.bz2" | grep -q "a bzip2 file" || die "bzip2"; }
: >"$work/empty"
probe_msg "$work/empty" | grep -q "empty file" || die "empty"
probe_msg "$work/nothing" | grep -q "No such file" || die "missing"
ok "probe by first bytes"

# Stale indexes: rebuilt, never trusted.
check_msg() { "$tool" check "$work/s.tar" "$@" || true; }
cp "$work/t.tar" "$work/s.tar"
"$tool" build "$work/s.tar" "$work/s.tar.bpidx" >/dev/null
"$tool" check "$work/s.tar" "$work/s.tar.bpidx" full >/dev/null || die "fresh index not fresh"
touch -d '2001-01-01' "$work/s.tar"
check_msg "$work/s.tar.bpidx" | grep -q "^stale: the archive was modified" || die "mtime"
"$tool" cat "$work/s.tar" "$work/s.tar.bpidx" "$(head -1 "$work/order")" 2>"$work/e" >/dev/null && die "stale index used"
grep -q "does not match it" "$work/e" || die "stale open: $(cat "$work/e")"
"$tool" ensure "$work/s.tar" - - >/dev/null 2>"$work/e"
grep -q "is stale (the archive was modified" "$work/e" || die "ensure: $(cat "$work/e")"
"$tool" check "$work/s.tar" "$work/s.tar.bpidx" full >/dev/null || die "not rebuilt"
ok "a modified archive: $(grep stale "$work/e" | cut -c1-140)"
echo x >>"$work/s.tar"
check_msg "$work/s.tar.bpidx" | grep -q "^stale: the archive is .* bytes" || die "size"
"$tool" ensure "$work/s.tar" - - >/dev/null 2>&1
mt=$(stat -c %y "$work/s.tar")
flip "$work/s.tar" $(($(size "$work/s.tar") - 100))
touch -d "$mt" "$work/s.tar"
check_msg "$work/s.tar.bpidx" | grep -q "^stale: the archive's last MiB changed" ||
  die "same size and mtime: $("$tool" check "$work/s.tar" "$work/s.tar.bpidx")"
ok "same size and mtime, other bytes: stale"

# Damaged indexes: never trusted, rebuilt.
"$tool" ensure "$work/s.tar" - - >/dev/null 2>&1
idx=$work/s.tar.bpidx
cp "$idx" "$work/good.bpidx"
flip "$idx" 100
check_msg "$idx" | grep -q "^damaged: index header checksum mismatch" || die "header"
cp "$work/good.bpidx" "$idx"
blocks=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(4096); print(struct.unpack_from('<Q',d,144)[0])" "$idx")
flip "$idx" $((blocks + 300))
"$tool" check "$work/s.tar" "$idx" >/dev/null || die "quick check reads no block"
check_msg "$idx" full | grep -q "^damaged: index block 0 checksum mismatch" || die "block"
"$tool" cat "$work/s.tar" "$idx" "$(head -1 "$work/order")" 2>"$work/e" >/dev/null && die "damaged block used"
grep -q "its index .* is damaged (index block 0 checksum mismatch)" "$work/e" || die "read: $(cat "$work/e")"
"$tool" ensure "$work/s.tar" - - >/dev/null 2>"$work/e"
grep -q "is damaged (index block 0 checksum mismatch): building it again" "$work/e" || die "ensure: $(cat "$work/e")"
"$tool" check "$work/s.tar" "$idx" full >/dev/null || die "damaged index not rebuilt"
head -c 5000 "$work/good.bpidx" >"$idx"
check_msg "$idx" | grep -q "^damaged: index file is 5000 bytes" || die "cut index"
ok "damaged indexes found and rebuilt"

# SIGKILL while indexing: no index under its final name, nothing left.
"$synth" -o "$work/big" -n 160 >/dev/null
mkdir -p "$work/kill"
tar -C "$work/big" -cf - BigEarthNet-v1.0 | gzip -1 >"$work/kill/k.tar.gz"
killed=0
for delay in 0.15 0.08 0.04 0.02; do
  rm -f "$work/kill/k.tar.gz.bpidx"
  "$tool" build "$work/kill/k.tar.gz" "$work/kill/k.tar.gz.bpidx" 65536 >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" || true
  # Killed before it renamed the index: nothing under the final name. Killed
  # (or done) after that: the index there must be whole.
  if [[ ! -e $work/kill/k.tar.gz.bpidx ]]; then killed=1; break; fi
  "$tool" check "$work/kill/k.tar.gz" "$work/kill/k.tar.gz.bpidx" full >/dev/null ||
    die "a partial index under its final name after SIGKILL"
done
((killed)) || die "indexing always finished before the kill"
left=$(ls -A "$work/kill" | grep -v '^k.tar.gz$' || true)
[[ -z $left ]] || echo "note: left after SIGKILL (no O_TMPFILE here): $left"
"$tool" ensure "$work/kill/k.tar.gz" - - >/dev/null 2>&1 || die "rebuild after kill"
"$tool" check "$work/kill/k.tar.gz" "$work/kill/k.tar.gz.bpidx" full >/dev/null || die "after kill"
ok "SIGKILL while indexing: no index, rebuilt by the next run"

# A read-only archive folder: the index goes to OUT.
if command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
  mkdir -p "$work/ro" "$work/rw-out"
  cp "$work/t.tar" "$work/ro/"
  chmod 755 "$work" && chmod 555 "$work/ro" && chmod 777 "$work/rw-out"
  chmod -R a+rX "$work/ro"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$tool" ensure "$work/ro/t.tar" "$work/rw-out" - 2>"$work/e") || die "ro: $(cat "$work/e")"
  [[ $out == "$work/rw-out/t.tar.bpidx" ]] || die "ro: index at $out"
  [[ ! -e $work/ro/t.tar.bpidx ]] || die "ro: index beside"
  # An index beside a read-only archive (made by its owner) is used.
  chmod 755 "$work/ro" && "$tool" build "$work/ro/t.tar" "$work/ro/t.tar.bpidx" >/dev/null && chmod 555 "$work/ro"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$tool" ensure "$work/ro/t.tar" "$work/rw-out" - 2>/dev/null)
  [[ $out == "$work/ro/t.tar.bpidx" ]] || die "ro: fresh index beside not used ($out)"
  chmod 755 "$work/ro"
  ok "read-only archive folder: index in OUT; an index beside it is used"
else
  echo "skip: read-only folder (needs root and setpriv)"
fi

echo "$passed passed, 0 failed"
