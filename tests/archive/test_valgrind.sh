#!/usr/bin/env bash
# The archive reader under valgrind memcheck: indexing (with an external
# sort of many runs), reading in random order, a damaged archive, the full
# index check. Any memcheck error or definite leak fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v valgrind >/dev/null || { echo "skip: no valgrind"; exit 77; }
vg() { valgrind -q --error-exitcode=9 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect "$tool" "$@"; }

members_of "$sample/BigEarthNet-v1.0" >"$work/list"
shuffle_patches "$work/list" "$work/random"
tar -C "$sample" -cf "$work/s2.tar" BigEarthNet-v1.0
gzip -c "$work/s2.tar" >"$work/s2.tar.gz"
for a in s2.tar s2.tar.gz; do
  vg build "$work/$a" "$work/$a.bpidx" 65536 65536 >"$work/b.out" || die "$a: build"
  vg extract "$work/$a" "$work/$a.bpidx" "$work/random" "$work/out-$a" >/dev/null || die "$a: extract"
  diff -r "$work/out-$a" "$sample/BigEarthNet-v1.0" >/dev/null || die "$a: members differ"
  vg check "$work/$a" "$work/$a.bpidx" full >/dev/null || die "$a: check"
  ok "$a under memcheck ($(kv sort_runs "$work/b.out") sort runs)"
done
head -c 500000 "$work/s2.tar.gz" >"$work/cut.tar.gz"
vg build "$work/cut.tar.gz" "$work/cut.bpidx" 65536 >"$work/b.out" || die "cut: build"
grep -q '^damaged=1$' "$work/b.out" || die "cut: not damaged"
rc=0
vg extract "$work/cut.tar.gz" "$work/cut.bpidx" "$work/random" "$work/out-cut" >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || die "cut: extract status $rc (9: memcheck error)"
ok "damaged archive under memcheck"
echo "$passed passed, 0 failed"
