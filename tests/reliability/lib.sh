# Helpers of the reliability tests that run ben-prep under mpirun, signal
# its ranks and compare the output with an uninterrupted run. Sourced; the
# script sets tmp (its scratch folder), tag (unique: passed to the ranks as
# BENPREP_RELTEST_TAG), mp (the pid of a background mpirun, or empty) and
# defines fail. BEN_PREP, BEN_SYNTH and MPIRUN come from the environment.

read -r -a mpirun <<<"$MPIRUN"

now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

# PIDs of the ben-prep ranks of this test (optionally only MPI rank $1),
# found by the tag in their environment.
tagged_ranks() {
  local p env
  for p in $(pgrep -x ben-prep); do
    env=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null) || continue
    grep -qxF "BENPREP_RELTEST_TAG=$tag" <<<"$env" || continue
    [[ -z ${1:-} ]] || grep -qx "OMPI_COMM_WORLD_RANK=$1" <<<"$env" || continue
    echo "$p"
  done 2>/dev/null
}

# Kill every rank of this test and the background mpirun (stopped ranks
# too: SIGKILL ends them).
kill_tagged() {
  local p
  for p in $(tagged_ranks); do kill -KILL "$p" 2>/dev/null || true; done
  [[ -n ${mp:-} ]] && kill -KILL "$mp" 2>/dev/null || true
}

# Shard lines in the journal of OUT $1 (all lines but the identity line).
journal_shards() {
  local j=$1/ben-prep.journal n
  [[ -f $j ]] || { echo 0; return; }
  n=$(grep -c '"shard":' "$j" || true)
  echo "${n:-0}"
}

# A sanitizer report (-DBENPREP_SANITIZE=ON) in the last run's messages.
sanitizer_check() {
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/err"; then
    fail "$1: sanitizer report"
  fi
}

# Wait for background mpirun $mp to end, at most $1 seconds (then kill the
# ranks and mpirun); sets rc to its exit status.
wait_mpirun() {
  local limit=$1 start
  start=$(now)
  while kill -0 "$mp" 2>/dev/null; do
    if [[ $(ms_since "$start") -gt $((limit * 1000)) ]]; then
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

# Every shard of OUT $1 under a final name must be journaled and equal to
# the shard of the uninterrupted run in REF $2; sets kept to their number.
check_final_shards() {
  local out=$1 ref=$2 f name
  kept=0
  for f in "$out"/*.tfrecord; do
    [[ -e $f ]] || continue
    name=${f##*/}
    grep -qE "\"shard\": ?\"$name\"" "$out/ben-prep.journal" ||
      fail "$name is under its final name but not in the journal"
    cmp -s "$f" "$ref/$name" || fail "$name is not complete"
    kept=$((kept + 1))
  done
}

# OUT $1 must hold what REF $2 holds: the same files, every shard byte for
# byte, the manifest up to its "run" object.
same_output() {
  local out=$1 ref=$2 f
  diff <(cd "$ref" && ls -A) <(cd "$out" && ls -A) >/dev/null ||
    fail "the files differ from the uninterrupted run's: $(diff <(cd "$ref" && ls -A) <(cd "$out" && ls -A) | tr '\n' ' ')"
  for f in "$ref"/*.tfrecord; do
    cmp -s "$f" "$out/${f##*/}" || fail "${f##*/} differs from the uninterrupted run's"
  done
  diff <(sed '/"run": {/,$d' "$ref/manifest.json") \
    <(sed '/"run": {/,$d' "$out/manifest.json") >/dev/null 2>&1 ||
    fail "the manifest differs from the uninterrupted run's"
}

# A 400-patch archive in a=$tmp/archive; args: the options of a run over
# its three splits, 10 records per shard; $tmp/ref: the output of an
# uninterrupted 3-rank run (nshards shards). Returns 1 (after fail) when that
# run fails.
make_reference() {
  a=$tmp/archive
  "$BEN_SYNTH" -o "$a" -n 400 --seed 5 -q
  args=(-r1 "$a/BigEarthNet-S1-v1.0" -r2 "$a/BigEarthNet-v1.0"
    -n "$a/splits/train.csv" "$a/splits/val.csv" "$a/splits/test.csv"
    --records-per-shard 10)
  "${mpirun[@]}" -np 3 "$BEN_PREP" "${args[@]}" -o "$tmp/ref" -q 2>"$tmp/err" ||
    { fail "reference run: exit status $?"; return 1; }
  nshards=$(ls "$tmp/ref"/*.tfrecord | wc -l)
  echo "reference run on 3 ranks: $nshards shards"
}
