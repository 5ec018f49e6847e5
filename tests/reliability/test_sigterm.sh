#!/usr/bin/env bash
# SIGTERM and SIGINT in the middle of a run (a SLURM time limit, scancel,
# Ctrl-C): the run stops within seconds with exit status 4 and a message
# saying how to resume; the journal is there, no temporary file, no
# manifest, every shard under a final name complete and journaled. --resume
# then completes the output, byte-identical to an uninterrupted run.
#
# Cases: SIGTERM to every rank; SIGINT to rank 0 only (it stops the others);
# SIGTERM to the one rank of a 1-rank run; SIGTERM to mpirun (it forwards the signal to the ranks; mpirun's own exit
# status is then its own, not the ranks').
#
#   test_sigterm.sh   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN,
#                     FAILIO_PRELOAD
#
# The run is slowed down with the failio shim (a delay on every GeoTIFF open)
# so that it is still running when the journal shows 2 finished shards.
set -euo pipefail
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${SHARED:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_tmp # tag=$tmp: passed to the ranks as BENPREP_RELTEST_TAG
at_exit kill_tagged # no rank of this test left behind
fail_mode=count fail_log=$tmp/err fail_tail=30
limit_s=15 # the run must end this soon after the signal

# ---- the archive and the reference output -----------------------------------------
make_reference || exit 1

# interrupt WHAT SIGNAL TARGET EXPECTED_STATUS NP: TARGET is all (every rank),
# rank0, or mpirun.
interrupt() {
  local what=$1 sig=$2 target=$3 want=$4 np=$5
  local out=$tmp/out-$target delay pids at start t_sig ms ok=1 signalled=0
  for delay in 2000 8000; do
    rm -rf "$out"
    start=$(now)
    "${mpirun[@]}" -np "$np" -x "BENPREP_RELTEST_TAG=$tag" \
      -x "LD_PRELOAD=$FAILIO_PRELOAD" -x FAILIO_MATCH=.tif -x "FAILIO_DELAY_US=$delay" \
      "$BEN_PREP" "${args[@]}" -o "$out" 2>"$tmp/err" &
    mp=$!
    while [[ $(journal_shards "$out") -lt 2 ]]; do
      kill -0 "$mp" 2>/dev/null || break
      if [[ $(ms_since "$start") -gt 120000 ]]; then
        wait_mpirun 1
        fail "$what: no 2 shards journaled within 120 s"
        return
      fi
      sleep 0.05
    done
    case $target in
      all) pids=$(tagged_ranks) ;;
      rank0) pids=$(tagged_ranks 0) ;;
      mpirun) pids=$mp ;;
    esac
    if [[ -z $pids ]] || ! kill -0 "$mp" 2>/dev/null; then
      wait_mpirun 60
      echo "$what: the run ended (exit status $rc) before the signal; again, slower"
      continue
    fi
    at=$(journal_shards "$out")
    # shellcheck disable=SC2086
    kill -s "$sig" $pids
    t_sig=$(now)
    signalled=1
    break
  done
  if [[ $signalled -eq 0 ]]; then
    fail "$what: could not signal the run while it was running"
    return
  fi
  wait_mpirun 120
  sanitizer_check "$what"
  ms=$(ms_since "$t_sig")
  echo "$what: signalled with $at shards journaled; mpirun exited with status $rc after $ms ms"

  [[ $ms -le $((limit_s * 1000)) ]] || { fail "$what: the run took $ms ms to end, more than ${limit_s} s"; ok=0; }
  [[ $rc -eq $want ]] || { fail "$what: exit status $rc, expected $want"; ok=0; }
  [[ -z $(tagged_ranks) ]] || { fail "$what: ranks still running: $(tagged_ranks)"; ok=0; }
  local signum
  signum=$(kill -l "$sig")
  grep 'error:' "$tmp/err" | grep -q "interrupted by signal $signum.*--resume" ||
    { fail "$what: no message 'interrupted by signal $signum ... --resume'"; ok=0; }
  [[ -f $out/ben-prep.journal ]] || { fail "$what: no journal"; ok=0; }
  [[ ! -e $out/manifest.json ]] || { fail "$what: a manifest was written"; ok=0; }
  if find "$out" -name '*.tmp' | grep -q .; then
    fail "$what: temporary files left: $(find "$out" -name '*.tmp' -printf '%f ')"
    ok=0
  fi
  local before=$failures
  check_final_shards "$out" "$tmp/ref"
  [[ $failures -eq $before ]] || ok=0
  [[ $kept -ge $at ]] || { fail "$what: $kept shards left, $at were journaled"; ok=0; }
  [[ $kept -lt $nshards ]] || echo "$what: note: every shard was finished before the stop"
  [[ $ok -eq 0 ]] || pass "$what: ended in $ms ms, exit $rc, $kept complete shards journaled, no temporary file, no manifest"

  # --resume on 3 ranks: exit 0, the uninterrupted run's output.
  ok=1
  rc=0
  "${mpirun[@]}" -np 3 "$BEN_PREP" "${args[@]}" -o "$out" --resume 2>"$tmp/err" || rc=$?
  sanitizer_check "$what: --resume"
  [[ $rc -eq 0 ]] || { fail "$what: --resume: exit status $rc"; ok=0; }
  grep -q "kept $kept shards" "$tmp/err" || { fail "$what: --resume did not keep the $kept shards"; ok=0; }
  before=$failures
  same_output "$out" "$tmp/ref"
  [[ $failures -eq $before ]] || ok=0
  [[ $ok -eq 0 ]] || pass "$what: --resume completes, identical to the uninterrupted run"
}

interrupt "SIGTERM to every rank (np 4)" TERM all 4 4
interrupt "SIGINT to rank 0 only (np 3)" INT rank0 4 3
interrupt "SIGTERM to the only rank (np 1)" TERM all 4 1
# mpirun forwards SIGTERM to the ranks, which stop as above; mpirun itself
# then exits 1 (Open MPI 4.1: its own status, not the ranks' 4).
interrupt "SIGTERM to mpirun (np 3)" TERM mpirun 1 3

# A read that the stop cuts short is no bad patch. The open of the last
# row's S1 JSON blocks (the failio shim: as a FIFO without a writer, or a
# hung file server, would) until SIGTERM interrupts it. Even with
# --max-failures the patch is not skipped: exit 4, the journal names no
# failure, and --resume (the file readable again) gives the whole golden
# output with no failures, not a "bad patch" kept from the interrupted run.
interrupted_read() { # np
  local np=$1 what="a read interrupted by SIGTERM, --max-failures 5 (np $1)"
  local sample=$SHARED/bigearthnet-v1-sample csv=$SHARED/golden/example_mm.csv
  local out=$tmp/out-read-np$np last start ok=1 pids
  last=$(tail -n 1 "$csv" | tr -d '\r')
  last=${last#*,}_labels_metadata.json
  local sample_args=(-r1 "$sample/BigEarthNet-S1-v1.0" -r2 "$sample/BigEarthNet-v1.0"
    -n "$csv" --records-per-shard 2 --max-failures 5 -o "$out")
  rm -rf "$out"
  start=$(now)
  "${mpirun[@]}" -np "$np" -x "BENPREP_RELTEST_TAG=$tag" \
    -x "LD_PRELOAD=$FAILIO_PRELOAD" -x "FAILIO_MATCH=$last" -x FAILIO_BLOCK=1 \
    "$BEN_PREP" "${sample_args[@]}" 2>"$tmp/err" &
  mp=$!
  until grep -q "open .*$last: blocking until a signal" "$tmp/err"; do
    if ! kill -0 "$mp" 2>/dev/null || [[ $(ms_since "$start") -gt 60000 ]]; then
      wait_mpirun 1
      fail "$what: the run never reached the blocking open (exit status $rc)"
      return
    fi
    sleep 0.05
  done
  pids=$(tagged_ranks)
  # shellcheck disable=SC2086
  kill -s TERM $pids
  wait_mpirun 60
  sanitizer_check "$what"
  [[ $rc -eq 4 ]] || { fail "$what: exit status $rc, expected 4"; ok=0; }
  if grep -q '"file"' "$out/ben-prep.journal" 2>/dev/null; then
    fail "$what: the journal records a skipped patch: $(grep -o '"skipped": \[{[^]]*' "$out/ben-prep.journal")"
    ok=0
  fi
  grep -q 'skipped' "$tmp/err" && { fail "$what: a patch was reported skipped"; ok=0; }
  rc=0
  "${mpirun[@]}" -np "$np" "$BEN_PREP" "${sample_args[@]}" --resume 2>"$tmp/err" || rc=$?
  sanitizer_check "$what: --resume"
  [[ $rc -eq 0 ]] || { fail "$what: --resume: exit status $rc, expected 0"; ok=0; }
  check_records "$out" "$SHARED/golden/example_mm.tfrecord" ||
    { fail "$what: --resume: not the golden records: $(head -n 3 "$tmp/check")"; ok=0; }
  [[ $(tr -d ' \n' <"$out/manifest.json" 2>/dev/null) == *'"failures":[],'* ]] ||
    { fail "$what: --resume: the manifest lists failures"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: exit 4, no failure journaled; --resume: exit 0, golden, no failures"
}
interrupted_read 2
interrupted_read 1

finish "interruption cases"
