#!/usr/bin/env bash
# Test splits/fetch-splits.sh against local file:// mirrors of the official
# split files in the shared reference data.
# Usage: test_fetch_splits.sh [SRCDIR [SHAREDDATA]]
#   SRCDIR      project source dir (default: two levels up from this script)
#   SHAREDDATA  shared reference data (default: SRCDIR/../shared/data)
# Needs bash, coreutils and curl (or wget). Exits non-zero at the first failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "${1:-$here/../..}" && pwd)
shared=$(cd "${2:-$srcdir/../shared/data}" && pwd)
script=$srcdir/splits/fetch-splits.sh
mirror=$shared/splits

names=(train val test)
declare -A MD5=(
  [train]=623e501b38ab7b12fe44f0083c00986d
  [val]=22efe8ed9cbd71fa10742ff7df2b7978
  [test]=697fb90677e30571b9ac7699b7e5b432
)
declare -A ROWS=([train]=269695 [val]=123723 [test]=125866)

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'PASS: %s\n' "$*"; }

[[ -f $script ]] || fail "script not found: $script"
for n in "${names[@]}"; do
  [[ -r $mirror/$n.csv ]] || fail "shared split file missing: $mirror/$n.csv"
done

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

out=$tmp/out.log
# run ARGS...: run the script, output in $out, status in $rc.
run() {
  rc=0
  bash "$script" "$@" >"$out" 2>&1 || rc=$?
}
show() { sed 's/^/    | /' "$out" >&2; }
expect_rc() { # expect_rc WANT WHAT
  if [[ $rc -ne $1 ]]; then show; fail "$2: exit status $rc, expected $1"; fi
}
expect_fail() { # expect_fail WHAT
  if [[ $rc -eq 0 ]]; then show; fail "$1: exit status 0, expected failure"; fi
}
expect_out() { # expect_out REGEX WHAT
  if ! grep -Eq -- "$1" "$out"; then show; fail "$2: output does not match /$1/"; fi
}
# entries DIR: set ENTRIES to the names in DIR (hidden ones too; none if DIR is absent).
entries() {
  local old
  old=$(shopt -p nullglob dotglob || true)
  shopt -s nullglob dotglob
  ENTRIES=("$1"/*)
  ENTRIES=("${ENTRIES[@]##*/}")
  eval "$old"
}
md5() { local s _; read -r s _ < <(md5sum -- "$1"); printf '%s' "$s"; }
# check_good DIR WHAT: DIR holds exactly the three verified files.
check_good() {
  local d=$1 n f
  for n in "${names[@]}"; do
    f=$d/$n.csv
    [[ -f $f ]] || fail "$2: $f missing"
    [[ $(md5 "$f") == "${MD5[$n]}" ]] || fail "$2: $f has wrong md5"
    [[ $(wc -l <"$f") -eq ${ROWS[$n]} ]] || fail "$2: $f does not have ${ROWS[$n]} rows"
  done
  entries "$d"
  [[ ${#ENTRIES[@]} -eq 3 ]] || fail "$2: unexpected files in $d: ${ENTRIES[*]}"
}
stamp() { # stamp DIR: inode and mtime of the three files
  local n
  for n in "${names[@]}"; do stat -c '%n %i %y' "$1/$n.csv"; done
}

# 1. Fresh download with --base.
run --base "file://$mirror" --dest "$tmp/a"
expect_rc 0 "fresh download"
check_good "$tmp/a" "fresh download"
for n in "${names[@]}"; do expect_out "^$n\.csv: downloaded" "fresh download of $n.csv"; done
pass "fresh download: 3 files, right md5 and row counts"

# 2. Second run: nothing downloaded again.
before=$(stamp "$tmp/a")
sleep 1
run --base "file://$mirror" --dest "$tmp/a"
expect_rc 0 "second run"
for n in "${names[@]}"; do expect_out "^$n\.csv: up to date" "second run, $n.csv"; done
[[ $(stamp "$tmp/a") == "$before" ]] || fail "second run: files were rewritten"
check_good "$tmp/a" "second run"
pass "second run: all up to date, files untouched"

# 3. Base address from the environment.
rc=0
BEN_SPLITS_BASE_URL="file://$mirror" bash "$script" --dest "$tmp/env" >"$out" 2>&1 || rc=$?
expect_rc 0 "BEN_SPLITS_BASE_URL"
check_good "$tmp/env" "BEN_SPLITS_BASE_URL"
pass "BEN_SPLITS_BASE_URL sets the base address"

# 4. --base wins over the environment.
rc=0
BEN_SPLITS_BASE_URL="file://$tmp/nowhere" bash "$script" --base "file://$mirror/" \
  --dest "$tmp/both" >"$out" 2>&1 || rc=$?
expect_rc 0 "--base with BEN_SPLITS_BASE_URL"
check_good "$tmp/both" "--base with BEN_SPLITS_BASE_URL"
pass "--base overrides BEN_SPLITS_BASE_URL"

# 5. A mirror with one corrupted file.
mkdir "$tmp/bad"
for n in "${names[@]}"; do cp "$mirror/$n.csv" "$tmp/bad/"; done
chmod u+w "$tmp/bad/val.csv"
printf 'X' | dd of="$tmp/bad/val.csv" bs=1 seek=1000 conv=notrunc status=none
run --base "file://$tmp/bad" --dest "$tmp/c"
expect_fail "corrupted mirror"
[[ ! -e $tmp/c/val.csv ]] || fail "corrupted mirror: val.csv present under its final name"
expect_out "val\.csv.*FAILED.*md5.*${MD5[val]}" "corrupted mirror message"
for n in train test; do
  [[ $(md5 "$tmp/c/$n.csv") == "${MD5[$n]}" ]] || fail "corrupted mirror: good $n.csv not downloaded"
done
entries "$tmp/c"
[[ ${#ENTRIES[@]} -eq 2 ]] || fail "corrupted mirror: leftover files: ${ENTRIES[*]}"
pass "corrupted mirror: fails, names val.csv, keeps the good files, no temp files"

# 6. A present file with the wrong md5 is replaced.
cp "$tmp/bad/val.csv" "$tmp/c/val.csv"
run --base "file://$mirror" --dest "$tmp/c"
expect_rc 0 "replacing a corrupted file"
expect_out "^val\.csv: downloaded" "replacing a corrupted file"
expect_out "^train\.csv: up to date" "replacing a corrupted file"
check_good "$tmp/c" "replacing a corrupted file"
pass "present file with wrong md5 is replaced"

# 7. Base pointing at a missing folder.
run --base "file://$tmp/missing" --dest "$tmp/d"
expect_fail "missing base folder"
entries "$tmp/d"
[[ ${#ENTRIES[@]} -eq 0 ]] || fail "missing base folder: files left in dest: ${ENTRIES[*]}"
for n in "${names[@]}"; do expect_out "^$n\.csv: FAILED" "missing base folder, $n.csv"; done
pass "missing base folder: fails, no files"

# 8. Usage: unknown option -> 2, --help -> 0.
run --bogus
expect_rc 2 "unknown option"
expect_out "bogus" "unknown option message"
run --help
expect_rc 0 "--help"
expect_out "Usage" "--help output"
pass "unknown option exits 2, --help exits 0"

# 9. No curl and no wget: clear message, exit 1. PATH holds links to the
#    tools the script needs, minus the downloaders.
mkdir "$tmp/bin"
for t in bash cat cp dirname md5sum mkdir mktemp mv rm; do
  p=$(command -v "$t") || fail "tool not found: $t"
  ln -s "$p" "$tmp/bin/$t"
done
rc=0
PATH=$tmp/bin bash "$script" --base "file://$mirror" --dest "$tmp/e" >"$out" 2>&1 || rc=$?
expect_rc 1 "no downloader"
expect_out "neither curl nor wget" "no downloader message"
[[ ! -e $tmp/e/train.csv ]] || fail "no downloader: files were written"
pass "no curl or wget: exit 1 with a clear message"

# 10. wget fallback (only when wget is installed).
if p=$(command -v wget); then
  ln -s "$p" "$tmp/bin/wget"
  rc=0
  PATH=$tmp/bin bash "$script" --base "file://$mirror" --dest "$tmp/w" >"$out" 2>&1 || rc=$?
  expect_rc 0 "wget fallback"
  check_good "$tmp/w" "wget fallback"
  pass "without curl the wget path works"
else
  printf 'SKIP: wget fallback (wget not installed)\n'
fi

printf 'PASS: all fetch-splits checks\n'
