#!/usr/bin/env bash
# A conversion job stopped in the middle on a real SLURM (started here, see
# lib.sh). The first attempt is slowed down (a delay before every GeoTIFF
# open) so that it is still running when the signal comes; a wrapper around
# ben-prep notes each rank's exit status. In every case the finished output
# must be byte-identical to an uninterrupted run (shards; manifest but for
# its "run" object) and verified.
#
#   test_requeue.sh srun       ben-prep-srun.sbatch, 3 tasks: once 2 shards
#                              are journaled, scancel --signal=USR1 --batch
#                              (what --signal=B:USR1@300 sends before the
#                              time limit): the ranks stop (exit 4), the job
#                              requeues itself, the second attempt resumes;
#                              sbatch --wait sees exit 0.
#   test_requeue.sh mpirun     the same with ben-prep-mpirun.sbatch.
#   test_requeue.sh timelimit  ben-prep-srun.sbatch with a real time limit:
#                              sbatch --time=1 --signal=B:USR1@25; nobody
#                              signals the job but SLURM.
#   test_requeue.sh cancel     ben-prep-srun.sbatch, scancel (the job is
#                              cancelled): the ranks stop (exit 4), the job
#                              is NOT requeued; then scancel --signal=TERM
#                              --batch on the job submitted again (SIGTERM to
#                              the job script only: it passes it on): exit 4
#                              (sbatch --wait), not requeued; the third
#                              submission resumes and completes.
#                              (Not --full: srun itself would get SIGTERM too,
#                              and srun answers SIGTERM with SIGKILL to the
#                              ranks; the output would still be right, from
#                              the journal, but in-flight shards are lost.)
#
#   environment: see common.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
mode=${1:?usage: test_requeue.sh srun|mpirun|timelimit|cancel}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=common.sh
source "$here/common.sh"
: "${FAILIO_PRELOAD:?}"
slurm_require

tmp=$(mktemp -d)
slurm_start "$tmp" "${BENPREP_SLURM_LIMIT:-540}"
t0=$SECONDS

make_archive "$tmp/archive"
reference "$tmp/ref"
nshards=$(find "$tmp/ref" -name '*.tfrecord' | wc -l)

out=$tmp/out
logs=$tmp/logs
bin=$tmp/ben-prep-slow
export BEN_S1_ROOT=$s1 BEN_S2_ROOT=$s2 BEN_OUT=$out BEN_SPLITS=$splits_str
export BEN_ARGS="--records-per-shard $rps" BEN_BIN=$bin
export BEN_SITE=$tmp/site.env # none of a developer's jobs/site.env
: >"$BEN_SITE"
script=$BEN_JOB_SRUN
case $mode in
  srun | cancel) slow_bin "$bin" 20000 ;;
  mpirun) # the ranks get SIGTERM 15 s after mpirun: a longer first attempt
    slow_bin "$bin" 40000
    script=$BEN_JOB_MPIRUN
    read -r -a mp <<<"$MPIRUN"
    export BEN_MPIRUN=${mp[0]} BEN_MPIRUN_ARGS="${mp[*]:1}"
    ;;
  # The warning comes 0-30 s before 25 s ahead of the limit (SLURM checks
  # every 30 s): the first attempt must still be running 35 s in.
  timelimit) slow_bin "$bin" 40000 ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

# The first attempt: its ranks all stopped by themselves with exit 4.
first_attempt_stopped() {
  local st
  st=$(rank_statuses "$bin" 0)
  if [[ $st == "0=4 1=4 2=4" ]]; then
    pass "$1: every rank of the first attempt stopped by itself with exit status 4 ($st)"
  else
    fail "$1: the ranks of the first attempt exited with: ${st:-nothing noted} (expected 0=4 1=4 2=4)"
  fi
}

# A requeued job, done: exit 0, two attempts, the second resumed (with at
# least MIN shards kept).
requeued_and_resumed() {
  local what=$1 min=$2 kept
  expect_rc 0 "$what" || return 0
  first_attempt_stopped "$what"
  grep -q "got SIGUSR1 (the time limit is near)" "$log" ||
    fail "$what: the log has no 'got SIGUSR1'"
  grep -q "^result:    exit 4: interrupted .*; requeued: the next attempt resumes" "$log" ||
    fail "$what: the log has no 'exit 4: interrupted ...; requeued'"
  [[ $(grep -c "^== attempt" "$log") -eq 2 ]] ||
    fail "$what: $(grep -c "^== attempt" "$log") attempts in the log, expected 2"
  kept=$(sed -n 's/.*info: resuming: \([0-9]*\) of .*/\1/p' "$log" | tail -n 1)
  if [[ -n $kept && $kept -ge $min && $kept -lt $nshards ]]; then
    pass "$what: requeued; the second attempt resumed with $kept of $nshards shards kept"
  else
    fail "$what: the second attempt did not resume with some of the shards kept (${kept:-no 'resuming:' line})"
    show_log 60
  fi
  [[ $(grep -c "^== attempt" "$out/job-$jid/settings.txt") -eq 2 ]] ||
    fail "$what: settings.txt does not record 2 attempts"
  same_output "$tmp/ref" "$out" "$what"
  check_output "$out" "$what"
}

case $mode in
  srun | mpirun)
    submit_bg "$logs" 400 --ntasks=3 --export=ALL "$script"
    if wait_journal "$out" 2 120; then
      scancel --signal=USR1 --batch "$jid"
      echo "job $jid: $(journal_shards "$out") shards journaled: scancel --signal=USR1 --batch"
    else
      fail "$mode: the job did not journal 2 shards within 120 s"
    fi
    wait_bg "$logs"
    requeued_and_resumed "$mode job stopped by SIGUSR1" 2
    ;;

  timelimit)
    submit "$logs" 400 --ntasks=3 --time=1 --signal=B:USR1@25 --export=ALL "$script"
    # (SLURM decides when: maybe before a shard was finished)
    requeued_and_resumed "srun job at its time limit (--time=1 --signal=B:USR1@25)" 0
    grep -q "DUE TO TIME LIMIT" "$log" && fail "timelimit: the job ran into its time limit"
    ;;

  cancel)
    # 1. scancel: cancelled, not requeued; exit 4 in the log.
    submit_bg "$logs" 400 --ntasks=3 --export=ALL "$script"
    if wait_journal "$out" 2 120; then
      scancel "$jid"
      echo "job $jid: $(journal_shards "$out") shards journaled: scancel"
    else
      fail "cancel: the job did not journal 2 shards within 120 s"
    fi
    wait_bg "$logs"
    first_attempt_stopped "cancelled job"
    if grep -q "^result:    exit 4: interrupted .*submit the job again" "$log" && ! grep -q "requeued:" "$log"; then
      pass "cancelled job: the script reports exit 4 (interrupted) and does not requeue (sbatch --wait: $rc)"
    else
      fail "cancelled job: no 'exit 4: interrupted ... submit the job again', or requeued"
      show_log 30
    fi
    sleep 2
    if [[ -n $(squeue -h -j "$jid" 2>/dev/null) ]]; then
      fail "cancelled job: job $jid is still known to SLURM: $(squeue -h -j "$jid" -o '%T %r')"
    fi
    [[ -f $out/ben-prep.journal && ! -f $out/manifest.json ]] ||
      fail "cancelled job: expected a journal and no manifest"

    # 2. Again; scancel --signal=TERM --batch: exit 4 seen by sbatch --wait.
    rm -rf "$bin.d"/*
    at=$(journal_shards "$out")
    submit_bg "$logs" 400 --ntasks=3 --export=ALL "$script"
    if wait_journal "$out" $((at + 2)) 120; then
      scancel --signal=TERM --batch "$jid"
      echo "job $jid: $(journal_shards "$out") shards journaled: scancel --signal=TERM --batch"
    else
      fail "term: the job did not journal 2 more shards within 120 s"
    fi
    wait_bg "$logs"
    if expect_rc 4 "job stopped by SIGTERM (scancel --signal=TERM --batch)"; then
      first_attempt_stopped "job stopped by SIGTERM"
      grep -q "requeued:" "$log" && fail "job stopped by SIGTERM: requeued"
    fi

    # 3. Again, undisturbed, at full speed.
    touch "$bin.fast"
    submit "$logs" 400 --ntasks=3 --export=ALL "$script"
    if expect_rc 0 "job submitted again after two stops"; then
      grep -q "info: resuming: " "$log" || fail "the third job did not resume"
      same_output "$tmp/ref" "$out" "stopped twice, then resumed"
      check_output "$out" "stopped twice, then resumed"
    fi
    ;;
esac

echo "test_requeue $mode: $((SECONDS - t0)) s with SLURM up"
finish
