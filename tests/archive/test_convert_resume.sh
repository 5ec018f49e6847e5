#!/usr/bin/env bash
# --resume and verify --deep on archive roots: a run that failed half-way
# (a shard that could not be created) is completed by --resume from the
# archives, byte for byte the folders' output; a root that changed kind
# (folder -> archive) is other inputs; verify --deep reads the archives
# through their indexes, passes, and names a member that differs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

s1=$sample/BigEarthNet-S1-v1.0
s2=$sample/BigEarthNet-v1.0
tar -C "$sample" -cf "$work/s1.tar" BigEarthNet-S1-v1.0
tar -C "$sample" -czf "$work/s2.tar.gz" BigEarthNet-v1.0
args=(-n "$golden_csv" --records-per-shard 2)
expect 0 "folders" 1 "$work/folders" -r1 "$s1" -r2 "$s2" "${args[@]}"

# Interrupted: the third shard cannot be created; two are kept.
interrupted() { # interrupted OUT ARGS...
  local out=$1
  shift
  rc=0
  "${mpirun[@]}" -np 1 -x "LD_PRELOAD=${FAILIO_PRELOAD:?}" -x FAILIO_MATCH=-00002-of- \
    -x FAILIO_OPEN=EIO "${BEN_PREP:?}" -o "$out" "$@" "${args[@]}" \
    >"$work/conv.out" 2>"$work/conv.err" || rc=$?
  [[ $rc == 1 && -f $out/ben-prep.journal && ! -e $out/manifest.json ]] ||
    { cat "$work/conv.err"; die "interrupted run: status $rc"; }
}
interrupted "$work/r" -r1 "$work/s1.tar" -r2 "$work/s2.tar.gz"
rm -f "$work"/*.bpidx # --resume builds them again
mkdir "$work/idx"
expect 0 "--resume" 2 "$work/r" -r1 "$work/s1.tar" -r2 "$work/s2.tar.gz" "${args[@]}" --resume --index-dir "$work/idx"
grep -q "resum" "$work/conv.err" || die "--resume said nothing of resuming: $(cat "$work/conv.err")"
same_output "--resume" "$work/folders" "$work/r"
ok "--resume on archives completes byte for byte (another --index-dir is fine)"

# A root that became an archive at the same path: other inputs.
mkdir "$work/root"
ln -s "$s2" "$work/root/s2"
interrupted "$work/k" -r1 "$s1" -r2 "$work/root/s2"
rm "$work/root/s2"
cp "$work/s2.tar.gz" "$work/root/s2"
expect 2 "kind changed" 2 "$work/k" -r1 "$s1" -r2 "$work/root/s2" "${args[@]}" --resume
grep -q "other inputs or options (archive_s2: now {\"kind\":\"gzip\"" "$work/conv.err" ||
  die "kind change: $(tail -5 "$work/conv.err")"
ok "--resume with a root that became an archive: refused as other inputs"

# verify --deep on archive roots; the indexes are found again.
rc=0
"${mpirun[@]}" -np 2 "$BEN_PREP" verify "$work/r" --deep "$work/s1.tar" "$work/s2.tar.gz" \
  --index-dir "$work/idx" >"$work/v.out" 2>"$work/v.err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/v.out" "$work/v.err"; die "verify --deep: status $rc"; }
grep -q "every pixel and label equal to the sources" "$work/v.out" || die "verify: $(cat "$work/v.out")"
grep -q "indexing" "$work/v.err" && die "verify --deep built an index again"
ok "verify --deep on archive roots passes, with the indexes found again"

# A member that differs from the record: named by verify --deep.
mkdir "$work/mod"
cp -r "$s2" "$work/mod/"
p=$(sed -n 2p "$golden_csv" | cut -d, -f1)
f=$work/mod/BigEarthNet-v1.0/$p/${p}_B02.tif
printf '\x07' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 100)) conv=notrunc status=none
tar -C "$work/mod" -czf "$work/mod.tar.gz" BigEarthNet-v1.0
rc=0
"${mpirun[@]}" -np 1 "$BEN_PREP" verify "$work/r" --deep "$work/s1.tar" "$work/mod.tar.gz" \
  >"$work/v.out" 2>"$work/v.err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/v.out" "$work/v.err"; die "verify --deep, other member: status $rc"; }
grep -q "B02: 1 of 14400 pixels differ from $work/mod.tar.gz:BigEarthNet-v1.0/$p/${p}_B02.tif" "$work/v.err" ||
  die "verify: $(cat "$work/v.err")"
ok "verify --deep names the archive member a record differs from"

# verify --deep on a root that is no archive: a usage error.
rc=0
"${mpirun[@]}" -np 1 "$BEN_PREP" verify "$work/r" --deep "$work/s1.tar" "$golden_csv" \
  >"$work/v.out" 2>"$work/v.err" || rc=$?
[[ $rc == 2 ]] || { cat "$work/v.err"; die "verify --deep, not an archive: status $rc"; }
grep -q "error: --deep .*example_mm.csv: neither a folder nor a tar or gzip archive" "$work/v.err" ||
  die "verify, not an archive: $(cat "$work/v.err")"
ok "verify --deep on a root that is no archive: a usage error"
echo "$passed checks passed"
