# Helpers for the archive tests (sourced). Needs BP_ARCHIVE_TOOL and
# SHARED; makes $work (removed at exit) and counts checks.
set -euo pipefail
tool=${BP_ARCHIVE_TOOL:?}
sample=${SHARED:?}/bigearthnet-v1-sample
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BP_TOOL_QUIET=1
passed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

# The member list of a folder tree: relative file paths, sorted.
members_of() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# Random patch order (seeded), each patch's files in name order.
shuffle_patches() { python3 "$(dirname "${BASH_SOURCE[0]}")/shuffle_patches.py" "$1" "$2"; }

# Index ARCHIVE (extra build arguments: spacing, sort memory), read every
# member of TREE back in LIST order and compare with the files.
#   roundtrip NAME ARCHIVE TREE LIST [SPACING [SORT_MEMORY]]
roundtrip() {
  local name=$1 archive=$2 tree=$3 list=$4
  shift 4
  "$tool" build "$archive" "$archive.bpidx" "$@" >"$work/build.out" ||
    die "$name: build failed"
  grep -q '^damaged=0$' "$work/build.out" || die "$name: reported damaged: $(cat "$work/build.out")"
  local want got
  want=$(wc -l <"$list")
  got=$(sed -n 's/^members=//p' "$work/build.out")
  [[ $got == "$want" ]] || die "$name: $got members indexed, $want files"
  rm -rf "$work/out"
  "$tool" extract "$archive" "$archive.bpidx" "$list" "$work/out" >"$work/read.out" ||
    die "$name: extract failed"
  diff -r "$work/out" "$tree" >/dev/null || die "$name: members differ from the files"
  "$tool" check "$archive" "$archive.bpidx" full >/dev/null || die "$name: index not fresh"
  ok "$name: $got members, $(sed -n 's/^points=//p' "$work/build.out") access points, jumps $(sed -n 's/^jumps=//p' "$work/read.out")"
}

kv() { sed -n "s/^$1=//p" "$2"; }

# ---- conversions from archive roots (test_convert*.sh) ----
# Needs BEN_PREP and MPIRUN; the sample's golden split file.
golden_csv=${SHARED:?}/golden/example_mm.csv
read -r -a mpirun <<<"${MPIRUN:-mpirun}"

# convert NP OUT ARGS...: ben-prep on NP ranks into OUT; its status in $rc,
# its messages in $work/conv.err.
convert() {
  local np=$1 out=$2
  shift 2
  rc=0
  "${mpirun[@]}" -np "$np" "${BEN_PREP:?}" -o "$out" "$@" >"$work/conv.out" \
    2>"$work/conv.err" || rc=$?
}

# expect STATUS WHAT NP OUT ARGS...: convert, and fail unless it ends so
# without a sanitizer report.
expect() {
  local want=$1 what=$2
  shift 2
  convert "$@"
  [[ $rc == "$want" ]] || { tail -20 "$work/conv.err" >&2; die "$what: status $rc, expected $want"; }
  # A sanitizer report fails the test whatever the status (ASan exits 1).
  ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:" "$work/conv.err" ||
    { cat "$work/conv.err" >&2; die "$what: a sanitizer report"; }
}

# same_output WHAT A B: the same shard files, byte for byte, and manifests
# equal but for "run", the roots in "inputs" (their paths and archives) and
# options.index_dir.
same_output() {
  local what=$1 a=$2 b=$3
  diff <(cd "$a" && ls | grep -v '^manifest.json$') \
    <(cd "$b" && ls | grep -v '^manifest.json$') >&2 || die "$what: other files"
  local f
  for f in "$a"/*; do
    [[ $(basename "$f") == manifest.json ]] && continue
    cmp -s "$f" "$b/$(basename "$f")" || die "$what: $(basename "$f") differs"
  done
  python3 - "$a/manifest.json" "$b/manifest.json" <<'PY' || die "$what: manifests differ"
import json, sys
def strip(p):
    m = json.load(open(p))
    m.pop('run', None)
    m['options'].pop('index_dir', None)  # where the indexes went
    for k in ('root_folder_s1', 'root_folder_s2', 'archive_s1', 'archive_s2'):
        m['inputs'].pop(k, None)
    return m
a, b = strip(sys.argv[1]), strip(sys.argv[2])
if a != b:
    for k in a:
        if a.get(k) != b.get(k):
            print('manifest key %s differs' % k, file=sys.stderr)
    sys.exit(1)
PY
}
