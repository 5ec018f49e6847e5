#!/usr/bin/env bash
# --update_json on a writable copy of the real sample: each converted pair's
# S1 JSON becomes its old bytes minus the final '}' plus
# ', "BigEarthNet_19_labels": [...]}' (FORMAT.md section 7) with the names of
# expected.tsv; the file mode is kept; nothing else changes; the records are
# the golden ones; a second run changes nothing more; a failure while writing
# the new version leaves the original bytes untouched.
#
#   test_update_json.sh   environment: BEN_PREP, SHARED, MPIRUN,
#                         FAILIO_PRELOAD
set -euo pipefail
: "${BEN_PREP:?}" "${SHARED:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_mpirun
make_tmp
csv=$golden_csv
np=3

fail_mode=count fail_log=$tmp/err fail_tail=30

s2=("") s1=("")
while IFS=, read -r a b; do
  s2+=("$a") s1+=("${b%$'\r'}")
done <"$csv"
json() { echo "$tmp/S1/${s1[$1]}/${s1[$1]}_labels_metadata.json"; }

# A writable copy of the whole sample (real files: nothing may be written
# through to the shared data), and a pristine copy to compare with.
cp -rL "$sample/BigEarthNet-S1-v1.0" "$tmp/S1"
cp -rL "$sample/BigEarthNet-v1.0" "$tmp/S2"
chmod -R u+w "$tmp/S1" "$tmp/S2"
chmod 0640 "$(json 2)" # a mode that must be kept
cp -a "$tmp/S1" "$tmp/S1.orig"
cp -a "$tmp/S2" "$tmp/S2.orig"
restore() {
  rm -rf "$tmp/S1"
  cp -a "$tmp/S1.orig" "$tmp/S1"
}

# The expected new S1 JSON of every row, from expected.tsv.
mkdir "$tmp/expected"
for n in 1 2 3 4 5 6; do
  labels=$(awk -F'\t' -v s2="${s2[$n]}" '$1 == s2 {print $4}' "$sample/expected.tsv")
  [[ -n $labels ]] || { echo "FAIL: ${s2[$n]} not in expected.tsv" >&2; exit 1; }
  list=$(awk -v l="$labels" 'BEGIN {
    n = split(l, a, ";")
    for (i = 1; i <= n; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), a[i]
  }')
  f=$(json $n)
  [[ $(tail -c 1 "$f") == "}" ]] || { echo "FAIL: $f does not end with '}'" >&2; exit 1; }
  { head -c -1 "$f"; printf ', "BigEarthNet_19_labels": [%s]}' "$list"; } >"$tmp/expected/$n.json"
done

rc=0
more=() # further ben-prep options
run() { # out, csv, [extra mpirun args before the program...]
  local out=$1 c=$2
  shift 2
  rc=0
  "${mpirun[@]}" -np "$np" "$@" "$BEN_PREP" -r1 "$tmp/S1" -r2 "$tmp/S2" -o "$out" \
    -n "$c" --records-per-shard 2 --update_json "${more[@]}" >"$tmp/stdout" 2>"$tmp/err" || rc=$?
  # A sanitizer report (-DBENPREP_SANITIZE=ON) fails the test whatever the
  # exit status (ASan exits 1 too).
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/err"; then
    fail "ben-prep -o $out: sanitizer report"
  fi
}
# Everything but the S1 JSON files is as before.
check_rest_unchanged() { # what
  diff -r "$tmp/S2.orig" "$tmp/S2" >/dev/null || fail "$1: the S2 folders changed"
  local f
  for f in "$tmp/S1.orig"/*/*.tif; do
    cmp -s "$f" "$tmp/S1/${f#"$tmp/S1.orig/"}" || fail "$1: ${f##*/} changed"
  done
  diff <(cd "$tmp/S1.orig" && find . | sort) <(cd "$tmp/S1" && find . | sort) >/dev/null ||
    fail "$1: files added or removed in S1: $(diff <(cd "$tmp/S1.orig" && find . | sort) <(cd "$tmp/S1" && find . | sort) | grep '^[<>]' | tr '\n' ' ')"
}
modes() { local n; for n in 1 2 3 4 5 6; do stat -c '%a' "$(json $n)"; done | tr '\n' ' '; }
modes_before=$(modes)

# ---- first run: rows 1-5 only ------------------------------------------------------------
mkdir "$tmp/csv"
head -n 5 "$csv" >"$tmp/csv/example_mm.csv"
run "$tmp/out1" "$tmp/csv/example_mm.csv"
[[ $rc -eq 0 ]] || fail "first run (rows 1-5): exit status $rc"
ok=1
for n in 1 2 3 4 5; do
  cmp -s "$(json $n)" "$tmp/expected/$n.json" || {
    fail "first run: $(json $n) is not as expected: $(cmp "$(json $n)" "$tmp/expected/$n.json" 2>&1 | head -n 1)"
    ok=0
  }
done
cmp -s "$(json 6)" "$tmp/S1.orig/${s1[6]}/${s1[6]}_labels_metadata.json" ||
  { fail "first run: the JSON of row 6, not converted, changed"; ok=0; }
[[ $(modes) == "$modes_before" ]] || { fail "first run: file modes $(modes), before $modes_before"; ok=0; }
[[ $(stat -c '%a' "$(json 2)") == 640 ]] || { fail "first run: mode 0640 not kept"; ok=0; }
check_rest_unchanged "first run"
golden_rows 1 2 3 4 5 >"$tmp/golden5"
check_records "$tmp/out1" "$tmp/golden5" ||
  { fail "first run: records not golden: $(head -n 5 "$tmp/check")"; ok=0; }
grep -q '"update_json": true' "$tmp/out1/manifest.json" || { fail "first run: the manifest does not say update_json"; ok=0; }
[[ $ok -eq 0 ]] || pass "first run (rows 1-5): 5 S1 JSON files updated exactly, row 6 untouched, modes kept ($(modes)), S2 and TIFFs unchanged, records golden"
cp -a "$tmp/S1" "$tmp/S1.after1"

# ---- second run: all rows (1-5 already updated) --------------------------------------------
run "$tmp/out2" "$csv"
[[ $rc -eq 0 ]] || fail "second run: exit status $rc"
ok=1
for n in 1 2 3 4 5 6; do
  cmp -s "$(json $n)" "$tmp/expected/$n.json" || { fail "second run: $(json $n) is not as expected"; ok=0; }
done
[[ $(modes) == "$modes_before" ]] || { fail "second run: file modes $(modes), before $modes_before"; ok=0; }
check_rest_unchanged "second run"
check_records "$tmp/out2" "$golden" ||
  { fail "second run: records not golden: $(head -n 5 "$tmp/check")"; ok=0; }
[[ $ok -eq 0 ]] || pass "second run (rows 1-6): rows 1-5 unchanged, row 6 updated, records golden"
cp -a "$tmp/S1" "$tmp/S1.after2"

# ---- third run: nothing changes -----------------------------------------------------------
run "$tmp/out3" "$csv"
[[ $rc -eq 0 ]] || fail "third run: exit status $rc"
if diff -r "$tmp/S1.after2" "$tmp/S1" >/dev/null && [[ $(modes) == "$modes_before" ]]; then
  pass "third run: every S1 JSON byte-identical to after the second run"
else
  fail "third run: the S1 folders changed: $(diff -rq "$tmp/S1.after2" "$tmp/S1" | tr '\n' ' ')"
fi
check_records "$tmp/out3" "$golden" ||
  fail "third run: records not golden: $(head -n 5 "$tmp/check")"

# ---- no 19-class label: an empty list --------------------------------------------------
restore
f=$(json 6)
sed 's/^{"labels": \[[^]]*\]/{"labels": ["Bare rock"]/' "$tmp/S1.orig/${s1[6]}/${s1[6]}_labels_metadata.json" >"$f"
{ head -c -1 "$f"; printf ', "BigEarthNet_19_labels": []}'; } >"$tmp/expected/empty.json"
tail -n 1 "$csv" >"$tmp/csv/example_mm.csv"
run "$tmp/out-empty" "$tmp/csv/example_mm.csv"
if [[ $rc -eq 0 ]] && grep -q '"Bare rock"' "$f" && cmp -s "$f" "$tmp/expected/empty.json"; then
  pass "labels without a 19-class name: an empty list appended"
else
  fail "labels without a 19-class name: exit status $rc; $(tail -c 80 "$f")"
fi

# ---- a JSON holding other BigEarthNet_19_labels: a bad patch, left alone -------------------
restore
f=$(json 3)
{ head -c -1 "$tmp/S1.orig/${s1[3]}/${s1[3]}_labels_metadata.json"; printf ', "BigEarthNet_19_labels": ["Marine waters"]}'; } >"$f"
cp "$f" "$tmp/conflict.json"
run "$tmp/out4" "$csv"
if [[ $rc -eq 1 ]] && grep -F -- "$csv line 3: $f: " "$tmp/err" | grep -q 'BigEarthNet_19_labels' &&
  cmp -s "$f" "$tmp/conflict.json" && [[ ! -e $tmp/out4/manifest.json ]]; then
  pass "S1 JSON with other BigEarthNet_19_labels: exit 1, named, left as it was"
else
  fail "S1 JSON with other BigEarthNet_19_labels: exit status $rc (expected 1, a message naming $f, the file unchanged)"
fi

# ---- a symlinked S1 JSON: the link stays a link, its target is updated ---------------------
# (as the reference's open of the path for writing does), beside the target.
restore
f=$(json 4)
mkdir -p "$tmp/elsewhere"
mv "$f" "$tmp/elsewhere/target.json"
ln -s ../../elsewhere/target.json "$f"
sed -n 4p "$csv" >"$tmp/csv/example_mm.csv"
run "$tmp/out-link" "$tmp/csv/example_mm.csv"
ok=1
[[ $rc -eq 0 ]] || { fail "symlinked S1 JSON: exit status $rc"; ok=0; }
[[ -L $f && $(readlink "$f") == ../../elsewhere/target.json ]] ||
  { fail "symlinked S1 JSON: $f is no longer the symlink it was: $(ls -l "$f")"; ok=0; }
cmp -s "$tmp/elsewhere/target.json" "$tmp/expected/4.json" ||
  { fail "symlinked S1 JSON: the link's target is not as expected"; ok=0; }
if find "$tmp/S1" "$tmp/elsewhere" -name '*.tmp' | grep -q .; then
  fail "symlinked S1 JSON: temporary files left: $(find "$tmp/S1" "$tmp/elsewhere" -name '*.tmp' | tr '\n' ' ')"
  ok=0
fi
[[ $ok -eq 0 ]] || pass "symlinked S1 JSON: the link kept, its target updated exactly"
rm -rf "$tmp/elsewhere"

# ---- failures while writing the new version ---------------------------------------------
# Each leaves every original byte (and mode) untouched, no temporary file,
# exit 1 with a message naming the JSON file.
for spec in "FAILIO_WRITE_AFTER=0|disk full at once" \
  "FAILIO_WRITE_AFTER=500|disk full after 500 bytes" \
  "FAILIO_FSYNC=EIO|fsync fails" "FAILIO_CLOSE=EIO|close fails" \
  "FAILIO_OPEN=EACCES|temporary file cannot be created"; do
  IFS='|' read -r setting what <<<"$spec"
  restore
  rm -rf "$tmp/out5"
  run "$tmp/out5" "$csv" -x "LD_PRELOAD=$FAILIO_PRELOAD" \
    -x FAILIO_MATCH=labels_metadata.json.tmp -x "$setting"
  ok=1
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  msg=$(grep 'error:' "$tmp/err" | grep -E "$csv line [1-6]: $tmp/S1/[^ ]*_labels_metadata\.json: " | head -n 1 || true)
  [[ -n $msg ]] || { fail "$what: no error line naming the CSV line and the S1 JSON file"; ok=0; }
  if ! diff -r "$tmp/S1.orig" "$tmp/S1" >/dev/null; then
    fail "$what: S1 files changed: $(diff -rq "$tmp/S1.orig" "$tmp/S1" | tr '\n' ' ')"
    ok=0
  fi
  [[ $(modes) == "$modes_before" ]] || { fail "$what: modes $(modes), before $modes_before"; ok=0; }
  [[ ! -e $tmp/out5/manifest.json ]] || { fail "$what: a manifest was written"; ok=0; }
  if find "$tmp/S1" "$tmp/out5" -name '*.tmp' 2>/dev/null | grep -q .; then
    fail "$what: temporary files left: $(find "$tmp/S1" "$tmp/out5" -name '*.tmp' | tr '\n' ' ')"
    ok=0
  fi
  [[ $ok -eq 0 ]] || pass "$what: exit 1, originals untouched: ${msg#*error: }"
done

# Not writing the archive is an output error, not a bad patch: --max-failures
# does not skip the patch (its pixels and labels are fine), the run stops.
what="JSON cannot be written, with --max-failures 6"
restore
rm -rf "$tmp/out5"
more=(--max-failures 6)
run "$tmp/out5" "$csv" -x "LD_PRELOAD=$FAILIO_PRELOAD" \
  -x FAILIO_MATCH=labels_metadata.json.tmp -x FAILIO_OPEN=EROFS
more=()
ok=1
[[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
grep -q 'skipped' "$tmp/err" && { fail "$what: a patch was skipped"; ok=0; }
grep -q 'failed: cannot write output' "$tmp/err" || { fail "$what: not reported as an output failure"; ok=0; }
diff -r "$tmp/S1.orig" "$tmp/S1" >/dev/null || { fail "$what: S1 files changed"; ok=0; }
[[ ! -e $tmp/out5/manifest.json ]] || { fail "$what: a manifest was written"; ok=0; }
[[ $ok -eq 0 ]] || pass "$what: exit 1, nothing skipped, originals untouched"

finish "--update_json cases"
