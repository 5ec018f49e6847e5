#!/usr/bin/env bash
# ben-prep index (bp_index_parse, bp_index_run): help and usage errors
# before MPI starts, archives spread over two ranks, fresh indexes kept,
# --force, a damaged archive; run as the program's own subcommand.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mpirun=${MPIRUN:?}
unset BP_TOOL_QUIET

run() { # run EXPECTED-STATUS ARGS...: the tool's index subcommand
  local want=$1 rc=0
  shift
  "${BEN_PREP:?}" index "$@" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc == "$want" ]] || { cat "$work/out" "$work/err"; die "index $*: status $rc, expected $want"; }
}

run 0 --help
grep -q "^usage: ben-prep index \[options\] ARCHIVE" "$work/out" || die "help text"
run 2
grep -q "no archive given" "$work/err" || die "no archive"
tar -C "$sample" -cf "$work/a.tar" BigEarthNet-v1.0
run 2 --spacing 0.01 "$work/a.tar"
grep -q -- "--spacing '0.01': give MiB from 0.0625 to 1024" "$work/err" || die "spacing: $(cat "$work/err")"
run 2 --bogus "$work/a.tar"
grep -q "unknown option '--bogus'" "$work/err" || die "unknown option"
run 2 "$sample"
grep -q "is a folder: only tar and gzip archives have indexes" "$work/err" || die "folder"
run 2 "$work/missing.tar"
grep -q "missing.tar: No such file" "$work/err" || die "missing"
[[ ! -e $work/a.tar.bpidx ]] || die "an index after a usage error"
# --help and usage errors answer before MPI starts: also where MPI cannot
# start (a PML that does not exist makes MPI_Init fail).
OMPI_MCA_pml=none-such run 0 --help
grep -q "^usage: ben-prep index \[options\] ARCHIVE" "$work/out" || die "help without MPI"
OMPI_MCA_pml=none-such run 2 --bogus "$work/a.tar"
grep -q "unknown option '--bogus'" "$work/err" || die "usage error without MPI"
OMPI_MCA_pml=none-such run 2 "$sample"
grep -q "is a folder: only tar and gzip archives have indexes" "$work/err" || die "folder without MPI"
ok "help and usage errors, before MPI starts"

tar -C "$sample" -cf - BigEarthNet-S1-v1.0 | gzip >"$work/b.tar.gz"
tar -C "$sample" --format=pax -cf - BigEarthNet-v1.0 | gzip -1 >"$work/c.tgz"
mkdir "$work/idx"
rc=0
$mpirun -np 2 "$BEN_PREP" index --index-dir "$work/idx" --spacing 0.0625 \
  "$work/a.tar" "$work/b.tar.gz" "$work/c.tgz" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/err"; die "two ranks: status $rc"; }
for f in a.tar b.tar.gz c.tgz; do
  "$tool" check "$work/$f" "$work/idx/$f.bpidx" full >/dev/null || die "$f: no fresh index"
done
grep -q "ben-prep\[0\]: info: indexing .*a.tar" "$work/err" || die "rank 0 indexes archive 0"
grep -q "ben-prep\[1\]: info: indexing .*b.tar.gz" "$work/err" || die "rank 1 indexes archive 1"
grep -q "ben-prep\[0\]: info: indexing .*c.tgz" "$work/err" || die "rank 0 indexes archive 2"
ok "three archives on two ranks"

stamp=$(stat -c %Y.%i "$work/idx/b.tar.gz.bpidx")
run 0 --index-dir "$work/idx" "$work/b.tar.gz"
[[ $(stat -c %Y.%i "$work/idx/b.tar.gz.bpidx") == "$stamp" ]] || die "a fresh index was rebuilt"
grep -q "indexing" "$work/err" && die "a fresh index was rebuilt"
run 0 --index-dir "$work/idx" --force "$work/b.tar.gz"
[[ $(stat -c %i "$work/idx/b.tar.gz.bpidx") != "${stamp#*.}" ]] || die "--force kept the index"
ok "fresh index kept, --force rebuilds"

# Beside the archive by default.
run 0 -q "$work/a.tar"
[[ -f $work/a.tar.bpidx ]] || die "index beside the archive"
[[ ! -s $work/err ]] || die "-q printed: $(cat "$work/err")"
ok "beside the archive by default"

# A damaged archive: status 1, the damage named, the index written.
head -c 600000 "$work/b.tar.gz" >"$work/cut.tar.gz"
run 1 "$work/cut.tar.gz"
grep -q "error: .*cut.tar.gz: damaged from byte .*truncated" "$work/err" || die "damage: $(cat "$work/err")"
"$tool" check "$work/cut.tar.gz" "$work/cut.tar.gz.bpidx" >/dev/null || die "no index of the damaged archive"
ok "damaged archive: status 1, index written"

echo "$passed passed, 0 failed"
