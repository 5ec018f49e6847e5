#!/usr/bin/env bash
# SIGTERM while an archive is being indexed: `ben-prep index` and a
# conversion stop within seconds with status 4, saying so; no index under
# its final name, no temporary file, no shard; the next run indexes and
# converts. The archive's reads are slowed down (failio's
# FAILIO_READ_DELAY_US) so that the signal lands in the middle of the pass.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${BEN_SYNTH:?}" -q -o "$work/f" -n 30
"$BEN_SYNTH" -q -o "$work/a" -n 30 --archive gz
gz=$work/a/BigEarthNet-v1.0.tar.gz
slow=(-x "LD_PRELOAD=${FAILIO_PRELOAD:?}" -x FAILIO_MATCH=BigEarthNet-v1.0.tar.gz
  -x FAILIO_READ_DELAY_US=1000000)

# stop_when_indexing TAG: once "indexing ... into" is in $work/run.err, send
# SIGTERM to every ben-prep rank whose command line holds TAG; then wait
# for the launcher and put its status in $rc and the seconds the stop took
# in $took.
stop_when_indexing() {
  local tag=$1 pid i
  for ((i = 0; i < 600; i++)); do
    grep -q "info: indexing .* into" "$work/run.err" 2>/dev/null && break
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "info: indexing .* into" "$work/run.err" ||
    { cat "$work/run.err" >&2; die "$tag: indexing did not start"; }
  local t0=$SECONDS
  for pid in $(pgrep -x ben-prep); do
    grep -qF -- "$tag" "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  rc=0
  wait "$launcher" || rc=$?
  took=$((SECONDS - t0))
}

# no_index_left WHAT: beside the archives only the archives and the split
# folders: no index, no temporary file.
no_index_left() {
  local left
  left=$(cd "$work/a" && ls -A | grep -v -e '^BigEarthNet-v1.0.tar.gz$' \
    -e '^BigEarthNet-S1-v1.0.tar.gz$' -e '^splits' || true)
  [[ -z $left ]] || die "$1: left beside the archive: $left"
}

# ben-prep index on its own.
"${mpirun[@]}" -np 1 "${slow[@]}" "${BEN_PREP:?}" index "$gz" \
  >"$work/run.out" 2>"$work/run.err" &
launcher=$!
stop_when_indexing "$gz"
[[ $rc == 4 ]] || { cat "$work/run.err" >&2; die "index: status $rc after SIGTERM, expected 4"; }
((took <= 10)) || die "index: took $took s to stop"
grep -q "error: $gz: indexing stopped by signal 15; no index was written" "$work/run.err" ||
  die "index: not said: $(tail -5 "$work/run.err")"
no_index_left "index"
ok "ben-prep index: SIGTERM while indexing stops it in ${took} s, status 4, no index or temporary file"

# A conversion from the archive: every rank stops, nothing is written.
out=$work/stopped
"${mpirun[@]}" -np 3 "${slow[@]}" "$BEN_PREP" -o "$out" -r1 "$work/f/BigEarthNet-S1-v1.0" \
  -r2 "$gz" -n "$work/f/splits/train.csv" >"$work/run.out" 2>"$work/run.err" &
launcher=$!
stop_when_indexing "$out"
[[ $rc == 4 ]] || { cat "$work/run.err" >&2; die "convert: status $rc after SIGTERM, expected 4"; }
((took <= 15)) || die "convert: took $took s to stop"
grep -q "indexing stopped by signal 15; no index was written" "$work/run.err" ||
  die "convert: not said: $(tail -5 "$work/run.err")"
! ls "$out" 2>/dev/null | grep -q 'tfrecord' || die "convert: a shard was written"
no_index_left "convert"
ok "a conversion: SIGTERM while indexing stops every rank in ${took} s, status 4, no shard, no index"

# The same command with --resume indexes and converts.
expect 0 "after the stop" 3 "$out" -r1 "$work/f/BigEarthNet-S1-v1.0" -r2 "$gz" \
  -n "$work/f/splits/train.csv" --resume
expect 0 "from the folders" 3 "$work/folders" -r1 "$work/f/BigEarthNet-S1-v1.0" \
  -r2 "$work/f/BigEarthNet-v1.0" -n "$work/f/splits/train.csv"
same_output "after the stop" "$work/folders" "$out"
ok "--resume after the stop: indexed and converted, the folders' records"
echo "archive_index_stop: $passed checks passed"
