#!/usr/bin/env bash
# The command line as users meet it under mpirun: --help, --version and
# usage errors with the agreed exit statuses on every rank.
#
#   environment: BEN_PREP, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP SHARED MPIRUN
use_mpirun
make_tmp
csv=$golden_csv

run() { # expected status, then arguments; output in $tmp/out, $tmp/err
  local want=$1
  shift
  run_status ben_prep 2 "$@" >"$tmp/out" 2>"$tmp/err"
  sanitizer_check "ben-prep $*"
  [[ $rc -eq $want ]] || { cat "$tmp/out" "$tmp/err" >&2; fail "ben-prep $*: exit $rc, expected $want"; }
}

run 0 --help
grep -q -- "--root_folder_s1" "$tmp/out" || fail "--help does not list --root_folder_s1"
grep -q "Exit status" "$tmp/out" || fail "--help does not document exit statuses"
[[ $(grep -c "^Usage:" "$tmp/out") -eq 1 ]] || fail "--help printed more than once"
pass "--help"

run 0 --version
grep -q "^ben-prep [0-9]" "$tmp/out" || fail "--version output: $(cat "$tmp/out")"
pass "--version"

run 2 -r1 a -r2 b -o c -n "$csv" -l pytorch
grep -q "'pytorch'" "$tmp/err" || fail "-l pytorch: message does not quote the value"
run 2 -r1 a -r2 b -o c -n "$csv" --records-per-shard zero
grep -q "'zero'" "$tmp/err" || fail "--records-per-shard zero: message does not quote the value"
run 2 -r1 a -r2 b -o c -n "$csv" --bogus
grep -q "'--bogus'" "$tmp/err" || fail "unknown option not quoted"
run 2 -r1 a -r2 b -n "$csv"
grep -q "out_folder" "$tmp/err" || fail "missing -o not explained"
run 2 -r1 a -r2 b -o c -n "$csv" --resume --force
grep -q "contradict" "$tmp/err" || fail "--resume --force not explained"
run 2 -r2 "$sample_s2" -o "$tmp/o" -n "$csv"
grep -q "missing -r1" "$tmp/err" || fail "MM rows without -r1 not explained"
[[ ! -e $tmp/o ]] || fail "output folder created for a usage error"
pass "usage errors exit 2 with the bad argument quoted"

run 1 -r1 "$sample_s1" -r2 "$sample_s2" -o "$tmp/o" -n "$tmp/missing.csv"
grep -q "missing.csv" "$tmp/err" || fail "a missing split file is not named"
[[ ! -e $tmp/o/manifest.json ]] || fail "manifest written after a failure"
pass "a missing split file exits 1 and names the file"

printf 'a,b\r\nc\r\n' >"$tmp/bad.csv"
run 1 -r1 "$sample_s1" -r2 "$sample_s2" -o "$tmp/o" -n "$tmp/bad.csv"
grep -q "bad.csv line 2" "$tmp/err" || fail "a malformed row is not located"
pass "a malformed split file exits 1 and names the line"
