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
