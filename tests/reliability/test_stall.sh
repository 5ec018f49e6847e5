#!/usr/bin/env bash
# A worker rank that stops answering (SIGSTOP: as a rank hung on a file
# system or on a node that is gone looks to the others) must not hang the
# run.
#
#   test_stall.sh stall  a worker of a 3-rank run with --stall-limit 5 is
#       stopped: rank 0 names it (rank, host, chunk) and ends the run with
#       exit 1 within seconds of the limit, saying that the finished shards
#       are kept and --resume continues; every shard under a final name is
#       complete and journaled;
#   test_stall.sh stop   a worker is stopped, then rank 0 (and in a second
#       case every rank, as scancel does) gets SIGTERM while it waits for
#       that worker: the run ends within 15 s with exit 4 and the resume
#       advice, naming the worker that did not answer; and the same when
#       rank 0 is the one stopped: the workers end on their own.
#
# Each time --resume (3 ranks, default options) then completes the output,
# byte-identical to an uninterrupted run.
#
#   environment: BEN_PREP, BEN_SYNTH, MPIRUN, FAILIO_PRELOAD
#
# The run is slowed down with the failio shim (a delay on every GeoTIFF open)
# so that it is still running when the journal shows 2 finished shards.
set -euo pipefail
mode=${1:?usage: test_stall.sh stall|stop}
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_tmp # tag=$tmp: passed to the ranks as BENPREP_RELTEST_TAG
at_exit kill_tagged # no rank of this test left behind
fail_mode=count fail_log=$tmp/err fail_tail=30

stall_limit=5
limit_s=15 # a stopped run must end this soon after the signal
# The host name a rank reports (MPI_Get_processor_name), short or long.
host_re="($(hostname)|$(hostname -s))"

make_reference || exit 1

# start_slow OUT [options...]: a slowed 3-rank run in the background ($mp),
# until 2 shards are journaled; rank0, victim: the pids of ranks 0 and 1
# (looked up while the run starts, so that the signals come right after
# the second shard). Returns 1 when the run could not be caught running.
start_slow() {
  local out=$1 delay start
  shift
  for delay in 2000 8000; do
    rm -rf "$out"
    start=$(now)
    "${mpirun[@]}" -np 3 -x "BENPREP_RELTEST_TAG=$tag" \
      -x "LD_PRELOAD=$FAILIO_PRELOAD" -x FAILIO_MATCH=.tif -x "FAILIO_DELAY_US=$delay" \
      "$BEN_PREP" "${args[@]}" -o "$out" "$@" 2>"$tmp/err" &
    mp=$!
    rank0="" victim=""
    while [[ -z $rank0 || -z $victim || $(journal_shards "$out") -lt 2 ]]; do
      kill -0 "$mp" 2>/dev/null || break
      if [[ $(ms_since "$start") -gt 120000 ]]; then
        wait_mpirun 1
        fail "no 2 shards journaled within 120 s"
        return 1
      fi
      [[ -n $rank0 ]] || rank0=$(tagged_ranks 0)
      [[ -n $victim ]] || victim=$(tagged_ranks 1)
      sleep 0.02
    done
    [[ -n $victim ]] && kill -0 "$mp" 2>/dev/null && return 0
    wait_mpirun 60
    echo "the run ended (exit status $rc) before rank 1 could be stopped; again, slower"
  done
  fail "could not stop rank 1 while the run was running"
  return 1
}

# signal_and_wait WHAT SIG PID...: send SIG to the PIDs and wait for mpirun
# to end; sets rc and ms, the milliseconds it took.
signal_and_wait() {
  local what=$1 sig=$2 t
  shift 2
  kill -s "$sig" "$@"
  t=$(now)
  wait_mpirun 120
  ms=$(ms_since "$t")
  sanitizer_check "$what"
  echo "$what: SIG$sig sent; mpirun exited with status $rc after $ms ms"
}

# The state a stopped run leaves: no rank, no manifest, the journal, every
# shard under a final name complete and journaled (sets kept).
check_left() {
  local what=$1 out=$2
  [[ -z $(tagged_ranks) ]] || fail "$what: ranks still running: $(tagged_ranks)"
  [[ ! -e $out/manifest.json ]] || fail "$what: a manifest was written"
  [[ -f $out/ben-prep.journal ]] || fail "$what: no journal"
  check_final_shards "$out" "$tmp/ref"
  [[ $kept -ge 2 ]] || fail "$what: $kept shards left, 2 were journaled"
}

# --resume on 3 ranks completes OUT $2 as the uninterrupted run.
check_resume() {
  local what=$1 out=$2 before=$failures
  rc=0
  "${mpirun[@]}" -np 3 "$BEN_PREP" "${args[@]}" -o "$out" --resume 2>"$tmp/err" || rc=$?
  sanitizer_check "$what: --resume"
  [[ $rc -eq 0 ]] || fail "$what: --resume: exit status $rc"
  grep -q "kept $kept shards" "$tmp/err" || fail "$what: --resume did not keep the $kept shards"
  same_output "$out" "$tmp/ref"
  [[ $failures -gt $before ]] || pass "$what: --resume completes, identical to the uninterrupted run"
}

stall_case() {
  local what="a stalled worker (--stall-limit $stall_limit)" out=$tmp/out-stall
  local shard before=$failures
  start_slow "$out" --stall-limit "$stall_limit" || return 0
  signal_and_wait "$what" STOP "$victim"
  [[ $rc -eq 1 ]] || fail "$what: exit status $rc, expected 1"
  # Silent since its last sign of life (at most a second before the stop).
  [[ $ms -ge $(((stall_limit - 1) * 1000)) ]] || fail "$what: ended after $ms ms, before the stall limit"
  [[ $ms -le $(((stall_limit + limit_s) * 1000)) ]] || fail "$what: took $ms ms, more than the limit + ${limit_s} s"
  grep -qE "error: rank 1 on host $host_re has sent nothing for [0-9]+ s while converting [a-z]+-[0-9]{5}-of-[0-9]{5}\.tfrecord \(" "$tmp/err" ||
    fail "$what: no message naming rank 1, its host and its chunk"
  shard=$(sed -nE 's/.*error: rank 1 on host .* while converting ([^ ]+) \(.*/\1/p' "$tmp/err" | head -n 1)
  [[ -n $shard && -e $tmp/ref/$shard && ! -e $out/$shard ]] ||
    fail "$what: the chunk named, '$shard', is no unfinished shard of the run"
  grep -qE "error: failed: rank 1 stalled; .*kept.*--resume to continue" "$tmp/err" ||
    fail "$what: no message saying that rank 1 stalled, the shards are kept and --resume continues"
  check_left "$what" "$out"
  [[ $failures -gt $before ]] ||
    pass "$what: exit 1 after $ms ms naming rank 1 and $shard; $kept complete shards journaled, no manifest"
  check_resume "$what" "$out"
}

# stop_case WHAT TARGET [STOPPED]: SIGTERM to TARGET (rank0 or all) while
# rank STOPPED (default 1) is stopped.
stop_case() {
  local what=$1 target=$2 stopped=${3:-1} out=$tmp/out-stop-$2-${3:-1} pids
  local before=$failures
  start_slow "$out" || return 0
  [[ $stopped == 0 ]] && victim=$rank0
  kill -STOP "$victim"
  sleep 1 # the others now wait for it
  case $target in
    rank0) pids=$rank0 ;;
    all) pids=$(tagged_ranks) ;;
  esac
  # shellcheck disable=SC2086
  signal_and_wait "$what" TERM $pids
  [[ $rc -eq 4 ]] || fail "$what: exit status $rc, expected 4"
  [[ $ms -le $((limit_s * 1000)) ]] || fail "$what: took $ms ms, more than ${limit_s} s"
  if [[ $stopped == 0 ]]; then
    grep -qE "error: interrupted: rank 0 has not answered within [0-9]+ s of the stop signal; .*--resume to continue" "$tmp/err" ||
      fail "$what: no message saying that rank 0 did not answer, with the resume advice"
  else
    grep -qE "rank 1 on host $host_re has not answered within [0-9]+ s of the stop signal" "$tmp/err" ||
      fail "$what: no message naming rank 1 as the rank that did not answer"
    grep 'error:' "$tmp/err" | grep -q "interrupted by signal 15.*--resume" ||
      fail "$what: no message 'interrupted by signal 15 ... --resume'"
  fi
  check_left "$what" "$out"
  [[ $failures -gt $before ]] ||
    pass "$what: exit 4 after $ms ms; $kept complete shards journaled, no manifest"
  check_resume "$what" "$out"
}

case $mode in
  stall) stall_case ;;
  stop)
    stop_case "SIGTERM to rank 0 waiting for a stopped worker" rank0
    stop_case "SIGTERM to every rank, one of them stopped" all
    stop_case "SIGTERM to every rank, rank 0 stopped" all 0
    ;;
  *) echo "usage: test_stall.sh stall|stop" >&2; exit 2 ;;
esac

finish "cases"
