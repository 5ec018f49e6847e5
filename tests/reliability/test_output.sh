#!/usr/bin/env bash
# Output failures and the output folder guard, on the real sample:
# - an output folder that cannot be created or written, a full disk, fsync and
#   close errors on shards, the journal and the manifest (made with the failio
#   LD_PRELOAD shim): exit 1, a message naming the path and the reason, no
#   manifest, no temporary file, nothing incomplete under a final name;
# - an output folder holding an earlier run: refused without --resume or
#   --force (exit 2), replaced with --force, "complete" with --resume, and
#   --resume refused (exit 2) when the inputs or options differ; a second run
#   into a folder that a run is writing is refused and disturbs nothing.
#
#   test_output.sh     environment: BEN_PREP, SHARED, MPIRUN,
#                      FAILIO_PRELOAD (LD_PRELOAD value for the shim)
set -euo pipefail
: "${BEN_PREP:?}" "${SHARED:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_mpirun
make_tmp
S1=$sample/BigEarthNet-S1-v1.0
S2=$sample/BigEarthNet-v1.0
csv=$golden_csv
np=3 rps=2 # 6 rows: 3 shards of 2

fail_mode=count fail_log=$tmp/err fail_tail=

rc=0
# run OUT [ben-prep options...]; FAILIO_* variables given as FAILIO=(...) are
# passed to the ranks together with the shim.
FAILIO=()
run() {
  local out=$1 x=() v
  shift
  if [[ ${#FAILIO[@]} -gt 0 ]]; then
    x=(-x "LD_PRELOAD=$FAILIO_PRELOAD")
    for v in "${FAILIO[@]}"; do x+=(-x "$v"); done
  fi
  rc=0
  "${mpirun[@]}" -np "${NP:-$np}" "${x[@]}" "$BEN_PREP" -r1 "${R1:-$S1}" \
    -r2 "$S2" -o "$out" -n "${CSV:-$csv}" --records-per-shard "${RPS:-$rps}" \
    "$@" >"$tmp/stdout" 2>"$tmp/err" || rc=$?
  # A sanitizer report (-DBENPREP_SANITIZE=ON) fails the test whatever the
  # exit status (ASan exits 1 too).
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/err"; then
    fail "ben-prep -o $out $*: sanitizer report"
  fi
}

# Every *.tfrecord under OUT is a complete shard (the golden records of its
# two rows); no temporary file.
check_shards() { # what, out
  local what=$1 out=$2 ok=1 f k
  if [[ -d $out ]] && find "$out" -name '*.tmp' | grep -q .; then
    fail "$what: temporary files left: $(find "$out" -name '*.tmp' -printf '%f ')"
    ok=0
  fi
  for f in "$out"/*.tfrecord; do
    [[ -e $f ]] || continue
    k=${f##*/example_mm-}
    k=$((10#${k%%-of-*}))
    cmp -s "$f" <(golden_rows $((rps * k + 1)) $((rps * k + 2))) ||
      { fail "$what: ${f##*/} is not a complete shard"; ok=0; }
  done
  return $((1 - ok))
}

# A failed run: exit 1, a message matching PATTERN (path and reason), no
# manifest, nothing incomplete.
expect_output_failure() { # what, out, pattern
  local what=$1 out=$2 pattern=$3 ok=1
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  grep 'error:' "$tmp/err" | grep -qE -- "$pattern" ||
    { fail "$what: no error message /$pattern/"; ok=0; }
  [[ ! -e $out/manifest.json ]] || { fail "$what: a manifest was written"; ok=0; }
  check_shards "$what" "$out" || ok=0
  if [[ $ok -eq 1 ]]; then
    pass "$what: $(grep 'error:' "$tmp/err" | grep -E -- "$pattern" | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: error: //')"
  fi
  return $((1 - ok))
}

# The complete, golden output in OUT.
expect_golden() { # what, out
  local ok=1
  check_records "$2" "$golden" ||
    { fail "$1: verify, golden records: $(head -n 5 "$tmp/check")"; ok=0; }
  [[ ! -e $2/ben-prep.journal ]] || { fail "$1: the journal is left after a complete run"; ok=0; }
  return $((1 - ok))
}

q() { printf '%s' "$1" | sed 's/[][\.*^$/]/\\&/g'; } # quote for grep -E

# ---- folder cannot be created ------------------------------------------------
: >"$tmp/a-file"
out=$tmp/a-file/out
run "$out"
expect_output_failure "output folder under a regular file" "$out" \
  "$(q "$tmp/a-file")(/out)?: cannot create the output folder: Not a directory" || true

mkdir -p "$tmp/ro"
out=$tmp/ro/deeper/out
FAILIO=("FAILIO_MATCH=$tmp/ro/" "FAILIO_OPEN=EACCES")
run "$out" # mkdir is not intercepted: the folder is made, the files are not
FAILIO=()
expect_output_failure "output folder not writable (open fails: EACCES)" "$out" \
  "$(q "$out")/[^ ]*: cannot create: Permission denied" || true
[[ -z $(ls -A "$out" 2>/dev/null) ]] || fail "not writable: files in $out: $(ls -A "$out")"

# ---- shards cannot be created ----------------------------------------------------
out=$tmp/out-open
FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_OPEN=EROFS")
run "$out"
FAILIO=()
expect_output_failure "shard cannot be created (EROFS)" "$out" \
  "$(q "$out")/\.example_mm-[0-9]{5}-of-00003\.tfrecord\.tmp: cannot create: Read-only file system" || true
ls "$out"/*.tfrecord >/dev/null 2>&1 && fail "shard cannot be created: shards exist"

# ---- full disk -------------------------------------------------------------------
# Each rank can write 600000 bytes: one shard (about 550 KB), not two.
for n in 3 1; do
  out=$tmp/out-full-np$n
  FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_WRITE_AFTER=600000")
  NP=$n run "$out"
  FAILIO=()
  expect_output_failure "disk full after one shard ($n ranks)" "$out" \
    "$(q "$out")/\.example_mm-[0-9]{5}-of-00003\.tfrecord\.tmp: write error: No space left on device" || true
done
# Full from the first byte: no shard at all.
out=$tmp/out-full0
FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_WRITE_AFTER=0")
run "$out"
FAILIO=()
expect_output_failure "disk full from the start" "$out" \
  "tfrecord\.tmp: write error: No space left on device" || true
ls "$out"/*.tfrecord >/dev/null 2>&1 && fail "disk full from the start: shards exist"

# ---- fsync and close errors on shards ------------------------------------------
out=$tmp/out-fsync
FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_FSYNC=EIO")
run "$out"
FAILIO=()
expect_output_failure "shard fsync fails (EIO)" "$out" \
  "$(q "$out")/\.example_mm-[0-9]{5}-of-00003\.tfrecord\.tmp: fsync failed: Input/output error" || true
ls "$out"/*.tfrecord >/dev/null 2>&1 && fail "shard fsync fails: shards exist under final names"

out=$tmp/out-close
FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_CLOSE=EIO")
run "$out"
FAILIO=()
expect_output_failure "shard close fails (EIO)" "$out" \
  "$(q "$out")/\.example_mm-[0-9]{5}-of-00003\.tfrecord\.tmp: close failed: Input/output error" || true
ls "$out"/*.tfrecord >/dev/null 2>&1 && fail "shard close fails: shards exist under final names"

# ---- the journal -------------------------------------------------------------------
out=$tmp/out-journal0
FAILIO=("FAILIO_MATCH=ben-prep.journal" "FAILIO_WRITE_AFTER=0")
run "$out"
FAILIO=()
expect_output_failure "journal cannot be written" "$out" \
  "$(q "$out")/\.?ben-prep\.journal(\.tmp)?: write error: No space left on device" || true
ls "$out"/*.tfrecord >/dev/null 2>&1 && fail "journal cannot be written: shards exist"

# Disk full in the middle of the journal's first shard line: the shard it
# reports must not appear under its final name (a shard under a final name is
# always in the journal), and --resume ignores the torn line.
out=$tmp/out-journal
FAILIO=("FAILIO_MATCH=.tfrecord.tmp" "FAILIO_OPEN=EIO")
NP=1 run "$out" # leaves a journal of just the identity line
FAILIO=()
head_len=$(wc -c <"$out/ben-prep.journal" 2>/dev/null || echo 0)
if [[ $head_len -lt 100 ]]; then
  fail "journal: the failed run left no journal to measure ($head_len bytes)"
else
  FAILIO=("FAILIO_MATCH=ben-prep.journal" "FAILIO_WRITE_AFTER=$((head_len + 20))")
  run "$out" --force
  FAILIO=()
  if expect_output_failure "disk full while journaling a shard" "$out" \
    "$(q "$out")/ben-prep\.journal: write error: No space left on device"; then
    ls "$out"/*.tfrecord >/dev/null 2>&1 &&
      fail "disk full while journaling: a shard exists though its journal line is torn: $(ls "$out"/*.tfrecord)"
    run "$out" --resume
    { [[ $rc -eq 0 ]] && expect_golden "resume after the torn journal line" "$out" &&
      pass "resume after the torn journal line: golden"; } ||
      fail "resume after the torn journal line: exit status $rc"
  fi
fi

# ---- the manifest ------------------------------------------------------------------
# Writing the manifest fails: exit 1, no manifest; the shards are complete and
# journaled, so --resume finishes the run (and refuses other inputs first).
for spec in "FAILIO_FSYNC=EIO|fsync|write failed: Input/output error" \
  "FAILIO_OPEN=ENOSPC|open|cannot create: No space left on device" \
  "FAILIO_CLOSE=EIO|close|close failed: Input/output error"; do
  IFS='|' read -r setting what reason <<<"$spec"
  out=$tmp/out-manifest-$what
  FAILIO=("FAILIO_MATCH=.manifest.json.tmp" "$setting")
  run "$out"
  FAILIO=()
  expect_output_failure "manifest $what fails" "$out" \
    "$(q "$out")/\.manifest\.json\.tmp: $reason" || continue
  [[ $(ls "$out"/*.tfrecord 2>/dev/null | wc -l) -eq 3 ]] ||
    fail "manifest $what fails: $(ls "$out"/*.tfrecord 2>/dev/null | wc -l) shards, expected 3"
  [[ -f $out/ben-prep.journal ]] || fail "manifest $what fails: no journal to resume from"
done
out=$tmp/out-manifest-fsync
cp -a "$out" "$tmp/interrupted"

# ---- the output folder guard -------------------------------------------------------
# An interrupted run's folder (journal + shards) is refused without --resume.
cp -a "$tmp/interrupted/." "$tmp/before"
run "$out"
if [[ $rc -eq 2 ]] && grep -q -- '--resume' "$tmp/err" && grep -q -- '--force' "$tmp/err" &&
  diff -r "$tmp/before" "$out" >/dev/null; then
  pass "interrupted output refused without --resume/--force: $(grep error: "$tmp/err" | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: error: //')"
else
  fail "interrupted output without --resume/--force: exit status $rc (expected 2, a message naming --resume and --force, the folder untouched)"
fi

# --resume with other options or inputs than the interrupted run: exit 2.
resume_refused() { # what, out, then run's variables via env
  local what=$1 out=$2
  cp -a "$out" "$tmp/before-refusal"
  run "$out" --resume
  if [[ $rc -eq 2 ]] && grep 'error:' "$tmp/err" | grep -q -- 'resume' &&
    diff -r "$tmp/before-refusal" "$out" >/dev/null; then
    pass "$what: $(grep error: "$tmp/err" | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: error: //')"
  else
    fail "$what: exit status $rc (expected 2, a --resume message, the folder untouched)"
  fi
  rm -rf "$tmp/before-refusal"
}
RPS=3 resume_refused "--resume of an interrupted run with --records-per-shard 3" "$out"
mkdir -p "$tmp/csv"
# The same rows, two swapped: same name, size and row count, other content.
{ sed -n 2p "$csv"; sed -n 1p "$csv"; sed -n '3,$p' "$csv"; } >"$tmp/csv/example_mm.csv"
CSV=$tmp/csv/example_mm.csv resume_refused "--resume of an interrupted run with a changed CSV" "$out"
# Another folder with the same files is another root.
cp -rL "$S1" "$tmp/s1-copy"
R1=$tmp/s1-copy resume_refused "--resume of an interrupted run with another S1 root" "$out"

# The same folder spelt otherwise ("DIR/", a symlink to it) is the same
# root: the real paths are compared.
ln -s "$S1" "$tmp/s1-link"
R1=$S1/ run "$out" --resume
if [[ $rc -eq 0 ]] && expect_golden "--resume after the manifest failure" "$out"; then
  grep -q 'kept 3 shards' "$tmp/err" || fail "--resume after the manifest failure: the 3 shards were not kept"
  pass "--resume after the manifest failure, -r1 given as DIR/: exit 0, golden"
else
  fail "--resume after the manifest failure, -r1 given as DIR/: exit status $rc"
fi

# A complete output is refused without --resume/--force, untouched.
out=$tmp/out-done
run "$out"
[[ $rc -eq 0 ]] || fail "a plain run: exit status $rc"
cp -a "$out" "$tmp/done-before"
run "$out"
if [[ $rc -eq 2 ]] && grep 'error:' "$tmp/err" | grep -q "$(q "$out")" &&
  grep -q -- '--force' "$tmp/err" && diff -r "$tmp/done-before" "$out" >/dev/null; then
  pass "complete output refused without --resume/--force: $(grep error: "$tmp/err" | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: error: //')"
else
  fail "complete output without --resume/--force: exit status $rc (expected 2, a message naming the folder and --force, the folder untouched)"
fi

# --resume on a complete output: says so, exit 0, changes nothing.
run "$out" --resume
if [[ $rc -eq 0 ]] && grep -q 'complete' "$tmp/err" && diff -r "$tmp/done-before" "$out" >/dev/null; then
  pass "--resume on a complete output: $(grep complete "$tmp/err" | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: [a-z]*: //')"
else
  fail "--resume on a complete output: exit status $rc (expected 0, 'complete', nothing changed)"
fi
RPS=3 resume_refused "--resume of a complete run with --records-per-shard 3" "$out"
CSV=$tmp/csv/example_mm.csv resume_refused "--resume of a complete run with a changed CSV" "$out"
R1=$tmp/s1-copy resume_refused "--resume of a complete run with another S1 root" "$out"
for r1 in "$tmp/s1-link" "$S1//" "$(dirname "$S1")/../$(basename "$(dirname "$S1")")/$(basename "$S1")"; do
  R1=$r1 run "$out" --resume
  if [[ $rc -eq 0 ]] && grep -q 'complete' "$tmp/err" && diff -r "$tmp/done-before" "$out" >/dev/null; then
    pass "--resume of a complete run with -r1 $r1 (the same folder): complete, nothing changed"
  else
    fail "--resume of a complete run with -r1 $r1 (the same folder): exit status $rc (expected 0, 'complete', nothing changed)"
  fi
done

# Just a shard file, or just a journal, is an earlier run too.
for f in example_mm-00000-of-00003.tfrecord ben-prep.journal; do
  mkdir -p "$tmp/one-$f"
  cp "$tmp/done-before/example_mm-00000-of-00003.tfrecord" "$tmp/one-$f/$f"
  run "$tmp/one-$f"
  if [[ $rc -eq 2 ]]; then
    pass "a folder holding only $f is refused"
  else
    fail "a folder holding only $f: exit status $rc, expected 2"
  fi
done

# --force replaces the earlier output, stray shards of its splits included;
# other files stay, also files named like shards of a split that no
# journal or manifest of an earlier run lists (ben-prep never wrote them).
printf 'junk' >"$out/example_mm-00007-of-00009.tfrecord"
printf 'junk' >"$out/ben-prep.journal"
printf 'keep me\n' >"$out/NOTES.txt"
printf 'keep me\n' >"$out/mydata.tfrecord.bak"
mine=(mydata-00000-of-00001.tfrecord mydata-00000-of-00001.tfrecord.idx
  example-00000-of-00003.tfrecord.gz example_mm_v2-00000-of-00003.tfrecord)
for f in "${mine[@]}"; do printf 'keep me\n' >"$out/$f"; done
RPS=3 run "$out" --force
kept=1
for f in "${mine[@]}"; do
  grep -q 'keep me' "$out/$f" 2>/dev/null || kept=0
  mv "$out/$f" "$tmp/" 2>/dev/null || true # not part of the output checked
done
if [[ $rc -eq 0 ]] && expect_golden "--force" "$out" &&
  [[ ! -e $out/example_mm-00007-of-00009.tfrecord ]] &&
  [[ $(ls "$out"/example_mm-*.tfrecord | wc -l) -eq 2 ]] && grep -q 'keep me' "$out/NOTES.txt" &&
  grep -q 'keep me' "$out/mydata.tfrecord.bak" && [[ $kept -eq 1 ]] &&
  grep 'warning' "$tmp/err" | grep -q 'leaves 4 files named like shards' &&
  grep -q '"records_per_shard": 3' "$out/manifest.json"; then
  pass "--force replaces an earlier run (3 shards of 2 -> 2 shards of 3), golden; ${mine[*]} kept"
else
  fail "--force: exit status $rc; $(ls -A "$out" | tr '\n' ' ')"
fi

# ---- two runs into one folder --------------------------------------------------
# A run holds the folder's lock: a second run (plain, --resume or --force) is
# refused with exit 2 and touches nothing, and the first one finishes golden.
# The first run reads slowly (0.3 s per band file, about 25 s in all), so it
# is still running when the three others start, even on a busy machine.
out=$tmp/busy
mkdir -p "$out"
rc1=0
"${mpirun[@]}" -np 2 -x "LD_PRELOAD=$FAILIO_PRELOAD" -x FAILIO_MATCH=.tif \
  -x FAILIO_DELAY_US=300000 "$BEN_PREP" -r1 "$S1" -r2 "$S2" -o "$out" \
  -n "$csv" --records-per-shard 1 >"$tmp/first.out" 2>"$tmp/first.err" &
first=$!
for _ in $(seq 200); do
  [[ -e $out/ben-prep.journal ]] && break
  sleep 0.05
done
[[ -e $out/ben-prep.journal ]] || fail "two runs: the first run did not start"
for opt in "" --resume --force; do
  # shellcheck disable=SC2086 # $opt is one option or none
  NP=1 run "$out" $opt
  if [[ $rc -eq 2 ]] && grep -q 'another ben-prep run (process [0-9]*) is writing into this folder' "$tmp/err"; then
    pass "a second run${opt:+ with $opt} while one runs is refused: $(grep -m1 error "$tmp/err" | sed 's/^ben-prep\[[0-9]*\]: error: //')"
  else
    fail "a second run${opt:+ with $opt} while one runs: exit status $rc, expected 2 and a message"
  fi
done
wait "$first" || rc1=$?
cp "$tmp/first.err" "$tmp/err"
if [[ $rc1 -eq 0 ]] && expect_golden "the first of two runs" "$out" &&
  [[ $(ls "$out"/*.tfrecord | wc -l) -eq 6 ]]; then
  pass "the first run was not disturbed: golden, 6 shards"
else
  fail "the first of two runs: exit status $rc1"
fi
NP=1 RPS=1 run "$out" --resume
[[ $rc -eq 0 ]] && pass "after it, --resume takes the folder: complete" ||
  fail "--resume after the first run ended: exit status $rc"

finish "output cases"
