#!/usr/bin/env bash
# Rank VICTIM is SIGKILLed in the middle of a 4-rank run; the job dies. No
# incomplete or unjournaled file may be left under a final name. Then one kept
# shard is damaged (a byte changed) and one removed, and --resume on
# RESUME_NP ranks keeps the other finished shards, converts the rest again and
# completes the output, which must be byte-identical to an uninterrupted
# 3-rank run (the manifest up to its "run" object).
#
#   test_kill_resume.sh [VICTIM [RESUME_NP]]   (default: rank 1, 2 ranks)
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN, FAILIO_PRELOAD
#
# The run is slowed down with the failio shim (a delay on every GeoTIFF open)
# so that it is still running when the journal shows 3 finished shards, also
# on a fast machine; on a slow one everything is polled with time limits.
set -euo pipefail
victim_rank=${1:-1} resume_np=${2:-2}
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${SHARED:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_tmp # tag=$tmp: passed to the ranks as BENPREP_RELTEST_TAG
at_exit kill_tagged # no rank of this test left behind
fail_mode=stop fail_log=$tmp/err fail_tail=40

# Shards under final names.
final_shards() {
  local f n=0
  for f in "$1"/*.tfrecord; do [[ -e $f ]] && n=$((n + 1)); done
  echo "$n"
}

# ---- the archive and the reference output -------------------------------------
make_reference
[[ $nshards -ge 30 ]] || fail "reference run: only $nshards shards"
pass "reference run on 3 ranks: $nshards shards"

# ---- the run that is killed ---------------------------------------------------------
out=$tmp/out
killed=0
for delay in 2000 8000; do
  rm -rf "$out"
  start=$(now)
  "${mpirun[@]}" -np 4 -x "BENPREP_RELTEST_TAG=$tag" \
    -x "LD_PRELOAD=$FAILIO_PRELOAD" -x FAILIO_MATCH=.tif -x "FAILIO_DELAY_US=$delay" \
    "$BEN_PREP" "${args[@]}" -o "$out" 2>"$tmp/err" &
  mp=$!
  # Poll until 3 shards are journaled and under their final names (a shard
  # is renamed just after rank 0 journaled it), at most 120 s.
  while [[ $(journal_shards "$out") -lt 3 || $(final_shards "$out") -lt 3 ]]; do
    kill -0 "$mp" 2>/dev/null || break
    [[ $(ms_since "$start") -lt 120000 ]] || { wait_mpirun 1; fail "no 3 shards journaled within 120 s"; }
    sleep 0.05
  done
  victim=$(tagged_ranks "$victim_rank")
  if [[ -z $victim ]] || ! kill -0 "$mp" 2>/dev/null; then
    wait_mpirun 60
    echo "the run ended (exit status $rc) before rank $victim_rank could be killed; again, slower"
    continue
  fi
  at=$(journal_shards "$out")
  kill -KILL "$victim"
  killed=1
  t_kill=$(now)
  break
done
[[ $killed -eq 1 ]] || fail "could not kill rank $victim_rank during the run"
wait_mpirun 60
sanitizer_check "the killed run"
pass "rank $victim_rank (pid $victim) SIGKILLed with $at shards journaled; mpirun exited with status $rc after $(ms_since "$t_kill") ms"

[[ $rc -ne 0 ]] || fail "the killed run exited with status 0"
[[ -z $(tagged_ranks) ]] || fail "ranks still running after mpirun ended: $(tagged_ranks)"
[[ ! -e $out/manifest.json ]] || fail "the killed run wrote a manifest"
[[ -f $out/ben-prep.journal ]] || fail "the killed run left no journal"

# Every file under a final name is complete and in the journal; temporary
# files may remain (the killed rank's), they are not under final names.
kept=0
for f in "$out"/*.tfrecord; do
  [[ -e $f ]] || continue
  name=${f##*/}
  line=$(grep -E "\"shard\": ?\"$name\"" "$out/ben-prep.journal" || true)
  [[ -n $line ]] || fail "$name is under its final name but not in the journal"
  size=$(stat -c %s "$f")
  grep -qE "\"bytes\": ?${size}[,}]" <<<"$line" ||
    fail "$name: $size bytes, the journal says: $line"
  cmp -s "$f" "$tmp/ref/$name" || fail "$name differs from the uninterrupted run's shard"
  kept=$((kept + 1))
done
[[ $kept -ge 3 ]] || fail "only $kept shards left after the kill, 3 were there before"
# No file other than shards, the journal, the lock file and our temporary files.
others=$(ls -A "$out" | grep -vE '^(ben-prep\.journal|\.ben-prep\.lock|[a-z]+-[0-9]{5}-of-[0-9]{5}\.tfrecord|\..*\.tmp)$' || true)
[[ -z $others ]] || fail "unexpected files after the kill: $others"
pass "after the kill: $kept shards under final names, each complete and journaled; $(ls -A "$out" | grep -c '\.tmp$' || true) temporary file(s)"

# Damage two finished shards: one byte changed in the first, the second
# removed. --resume must find both (size + CRC-32C) and convert them again.
shards=("$out"/*.tfrecord)
damaged=${shards[0]} removed=${shards[1]}
printf '\x5a' | dd of="$damaged" bs=1 seek=1000 conv=notrunc status=none
cmp -s "$damaged" "$tmp/ref/${damaged##*/}" && fail "test setup: the shard was not damaged"
rm "$removed"
# The other finished shards must be kept by --resume, not rewritten.
stat -c '%i %Y %s %n' "$out"/*.tfrecord | grep -vF "${damaged##*/}" >"$tmp/stat-before"

# ---- --resume on RESUME_NP ranks --------------------------------------------------------
start=$(now)
rc=0
"${mpirun[@]}" -np "$resume_np" "$BEN_PREP" "${args[@]}" -o "$out" --resume 2>"$tmp/err" || rc=$?
sanitizer_check "--resume"
[[ $rc -eq 0 ]] || fail "--resume on $resume_np ranks: exit status $rc"
grep -q "kept $((kept - 2)) shards" "$tmp/err" ||
  fail "--resume did not report keeping the $((kept - 2)) intact shards"
pass "--resume on $resume_np ranks: exit 0 in $(ms_since "$start") ms; $(grep -o 'kept [0-9]* shards[^;]*' "$tmp/err" | head -n 1); ${damaged##*/} (damaged) and ${removed##*/} (removed) converted again"

while read -r ino mtime size f; do
  [[ $(stat -c '%i %Y %s' "$f") == "$ino $mtime $size" ]] ||
    fail "${f##*/} was rewritten by --resume"
done <"$tmp/stat-before"
same_output "$out" "$tmp/ref"
grep -q '"run": {' "$out/manifest.json" || fail "the manifest has no run object"
verify_out "$out" --deep "$a/BigEarthNet-S1-v1.0" "$a/BigEarthNet-v1.0" ||
  fail "verify --deep: $(head -n 5 "$tmp/check")"
pass "resumed output identical to the uninterrupted run: $nshards shards, manifest; verify --deep against the sources"
