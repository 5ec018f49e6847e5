# shellcheck shell=bash
# lib.sh - what the shell tests share: checks that report and count, the
# environment a test needs, a temporary folder removed on exit, mpirun as
# CTest configures it, the real sample and its golden records, clocks, and
# runs in the background found again by a tag. Source it first:
#
#   set -euo pipefail
#   # shellcheck source-path=SCRIPTDIR source=../lib.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#   require_env BEN_PREP SHARED MPIRUN   # exit 1 naming a missing variable
#   make_tmp                             # $tmp, removed on exit
#
# Checks
#   fail MESSAGE       "FAIL: MESSAGE" on stderr ("FAIL: $fail_what: MESSAGE"
#                      when fail_what is set), then the file fail_log names
#                      (when set and present: the last run's messages),
#                      indented, its last fail_tail lines (all when empty).
#                      With fail_mode=stop (the default) the test exits 1;
#                      with fail_mode=count the failure is counted in
#                      $failures and the test goes on, to finish.
#   pass MESSAGE       "PASS: MESSAGE" on stdout.
#   finish [WHAT]      fail_mode=count: exit 1 with the number of failed
#                      checks, or print "all WHAT passed" (WHAT: "checks").
#   sanitizer_check WHAT [FILE]
#                      fail when FILE (default $tmp/err) holds an
#                      AddressSanitizer, LeakSanitizer or UBSan report: with
#                      -DBENPREP_SANITIZE=ON a report fails the test whatever
#                      the exit status (ASan exits 1 too).
#
# Environment and files
#   require_env VAR... every variable set and not empty.
#   make_tmp           tmp=$(mktemp -d); the EXIT trap runs the commands
#                      given to at_exit (last first), then removes $tmp.
#   at_exit COMMAND    one more command for the EXIT trap (a string, eval'd).
#   use_mpirun         the array mpirun from $MPIRUN (the launcher and its
#                      flags: --oversubscribe, --allow-run-as-root as root).
#   ben_prep NP ARGS...   "${mpirun[@]}" -np NP "$BEN_PREP" ARGS...
#   run_status COMMAND... run it; its exit status in $rc (0 when it passes),
#                      without stopping the test under set -e.
#
# The real sample (with SHARED set when lib.sh is sourced)
#   sample, sample_s1, sample_s2   the sample archive and its two roots
#   golden_csv, golden, golden_idx example_mm.csv, its golden records and
#                                  their index ("<offset> <size>" per row)
#   golden_rows ROW...   the golden records of these CSV rows (1-based),
#                        concatenated, on stdout.
#   link_sample DIR      DIR/S1 and DIR/S2: the sample's patch folders as
#                        real folders of symlinks to its files, so a test can
#                        remove or replace a file without touching the
#                        read-only original (readlink gives it).
#
# Outputs
#   verify_out OUT [ARGS...]   ben-prep verify OUT ARGS... on $verify_np
#                      ranks (1 unless set): every shard against the
#                      manifest, every record decoded and in its place, the
#                      statistics against the records; with --deep S1_ROOT
#                      S2_ROOT also every pixel and label against the
#                      sources. Its messages in $tmp/check; its status.
#   manifest_shards OUT   the shards OUT/manifest.json lists, in manifest
#                      order (splits, then shards), as paths under OUT.
#   same_records OUT [FILE]  the shards of OUT concatenated in manifest
#                      order are FILE (default: the golden records) byte for
#                      byte; otherwise cmp's message in $tmp/check.
#   check_records OUT [FILE [ARGS...]]  verify_out OUT ARGS..., then
#                      same_records OUT FILE (FILE "" for no comparison).
#   tmp_files DIR      the names of the temporary files (*.tmp) under DIR,
#                      one a line; nothing when there are none.
#   journal_shards OUT the shards OUT/ben-prep.journal records as finished.
#   without_run MANIFEST  the manifest up to its "run" object (what two runs
#                      over the same inputs must have equal).
#
# Clocks
#   now                nanoseconds since the epoch.
#   ms_since START     milliseconds since START (a value of now).
#   seconds_since START   the same in seconds, "12.345".
#
# Runs in the background, found by a tag in their environment
#   tag                unique to this test: $tmp, unless set before make_tmp.
#                      Pass it to the ranks: "${mpirun[@]}" -x "$(tag_env)" ...
#   tag_env            BENPREP_RELTEST_TAG=$tag
#   tagged_ranks [RANK]  PIDs of this test's ben-prep processes (only MPI
#                      rank RANK's when given).
#   mp                 the PID of the background mpirun ("...&"; mp=$!).
#   wait_mpirun LIMIT  wait for $mp at most LIMIT seconds (then kill it and
#                      the tagged ranks); its status in $rc; mp emptied.
#   kill_tagged        SIGKILL to the tagged ranks and $mp (for at_exit).

# Variables set here are for the sourcing scripts.
# shellcheck disable=SC2034

fail_mode=stop
fail_what=
fail_log=
fail_tail=
failures=0

fail() {
  echo "FAIL: ${fail_what:+$fail_what: }$*" >&2
  if [[ -n $fail_log && -f $fail_log ]]; then
    if [[ -n $fail_tail ]]; then
      sed 's/^/    | /' "$fail_log" | tail -n "$fail_tail" >&2
    else
      sed 's/^/    | /' "$fail_log" >&2
    fi
  fi
  [[ $fail_mode == count ]] || exit 1
  failures=$((failures + 1))
}

pass() { echo "PASS: $*"; }

# shellcheck disable=SC2120 # WHAT is optional
finish() {
  if ((failures)); then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all ${1:-checks} passed"
}

sanitizer_check() {
  local file=${2:-$tmp/err}
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$file"; then
    fail "$1: sanitizer report"
  fi
}

require_env() {
  local v
  for v in "$@"; do
    [[ -n ${!v:-} ]] || { echo "$0: $v is not set (run through ctest)" >&2; exit 1; }
  done
}

_at_exit=()
at_exit() { _at_exit+=("$1"); }

_on_exit() {
  local i
  for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
    eval "${_at_exit[i]}" || true
  done
  [[ -z ${tmp:-} ]] || rm -rf "$tmp"
}

make_tmp() {
  tmp=$(mktemp -d)
  tag=${tag:-$tmp}
  trap _on_exit EXIT
}

use_mpirun() {
  require_env MPIRUN
  # shellcheck disable=SC2153 # MPIRUN: from CTest's environment
  read -r -a mpirun <<<"$MPIRUN"
}

ben_prep() {
  local np=$1
  shift
  "${mpirun[@]}" -np "$np" "$BEN_PREP" "$@"
}

run_status() {
  rc=0
  "$@" || rc=$?
}

if [[ -n ${SHARED:-} ]]; then
  sample=$SHARED/bigearthnet-v1-sample
  sample_s1=$sample/BigEarthNet-S1-v1.0
  sample_s2=$sample/BigEarthNet-v1.0
  golden_csv=$SHARED/golden/example_mm.csv
  golden=$SHARED/golden/example_mm.tfrecord
  golden_idx=$golden.idx
fi

golden_rows() {
  local r off size
  for r in "$@"; do
    read -r off size < <(sed -n "${r}p" "$golden_idx")
    dd if="$golden" skip="$off" count="$size" iflag=skip_bytes,count_bytes \
      status=none
  done
}

link_sample() {
  local dir=$1 side root d
  for side in S1 S2; do
    root=$sample_s1
    [[ $side == S1 ]] || root=$sample_s2
    rm -rf "${dir:?}/$side"
    mkdir -p "$dir/$side"
    for d in "$root"/*/; do
      d=${d%/}
      mkdir "$dir/$side/${d##*/}"
      ln -s "$d"/* "$dir/$side/${d##*/}/"
    done
  done
}

verify_np=${verify_np:-1}
verify_out() {
  local out=$1
  shift
  "${mpirun[@]}" -np "$verify_np" "$BEN_PREP" verify "$out" "$@" \
    >"$tmp/check" 2>&1
}

manifest_shards() {
  python3 - "$1" <<'EOF'
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
for split in m["splits"].values():
    for shard in split["shards"]:
        print(os.path.join(sys.argv[1], shard["path"]))
EOF
}

same_records() {
  local ref=${2:-$golden} f files=()
  while IFS= read -r f; do files+=("$f"); done < <(manifest_shards "$1")
  ((${#files[@]})) || files=(/dev/null)
  local msg
  msg=$(cat "${files[@]}" | cmp - "$ref" 2>&1) || { echo "$msg" >"$tmp/check"; return 1; }
}

check_records() {
  local out=$1 ref=${2-$golden}
  shift $(($# < 2 ? $# : 2))
  verify_out "$out" "$@" || return
  [[ -z $ref ]] || same_records "$out" "$ref"
}

tmp_files() { [[ ! -d $1 ]] || find "$1" -name '*.tmp' -printf '%f\n'; }

journal_shards() {
  local j=$1/ben-prep.journal n
  [[ -f $j ]] || { echo 0; return 0; }
  n=$(grep -c '"shard":' "$j" || true)
  echo "${n:-0}"
}

without_run() { sed '/"run": {/,$d' "$1"; }

now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }
seconds_since() {
  local ms
  ms=$(ms_since "$1")
  printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}

mp=
tag_env() { echo "BENPREP_RELTEST_TAG=$tag"; }

# shellcheck disable=SC2120 # RANK is optional
tagged_ranks() {
  local f p comm env
  # The names first, with the shell's own read: no process per PID.
  for f in /proc/[0-9]*/comm; do
    read -r comm <"$f" 2>/dev/null || continue
    [[ $comm == ben-prep ]] || continue
    p=${f#/proc/}
    p=${p%/comm}
    env=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null) || continue
    grep -qxF "BENPREP_RELTEST_TAG=$tag" <<<"$env" || continue
    [[ -z ${1:-} ]] || grep -qx "OMPI_COMM_WORLD_RANK=$1" <<<"$env" || continue
    echo "$p"
  done 2>/dev/null
}

kill_tagged() {
  local p
  # shellcheck disable=SC2119 # every rank
  for p in $(tagged_ranks); do kill -KILL "$p" 2>/dev/null || true; done
  [[ -z $mp ]] || kill -KILL "$mp" 2>/dev/null || true
}

wait_mpirun() {
  local limit=$1 start
  start=$(now)
  while kill -0 "$mp" 2>/dev/null; do
    if (($(ms_since "$start") > limit * 1000)); then
      echo "mpirun still running after ${limit}s; killing it" >&2
      kill_tagged
      break
    fi
    sleep 0.05
  done
  rc=0
  wait "$mp" || rc=$?
  mp=
}
