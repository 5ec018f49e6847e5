#!/usr/bin/env bash
# The job scripts without SLURM: what needs no cluster, so that it runs
# everywhere (no root, no packages).
#  - shellcheck on the job scripts, the site file example, these tests, the
#    multi-node tests and scripts/*.sh (where shellcheck is installed);
#  - the common part is the same in the three scripts; the #SBATCH lines
#    the behaviour depends on are there;
#  - outside a job the scripts refuse to run (exit 2, a clear message);
#  - with stand-ins for srun, scontrol and scancel on PATH (a "job" whose
#    srun runs the command once, so ben-prep runs as one MPI rank): the site
#    file beside the script is found and read, the environment wins over it
#    (also when empty), BEN_SITE names another site file, every missing or
#    bad setting gives exit 2 and a message naming it, a conversion gives
#    exit 0 with the settings, command and version in OUT/job-<id>/, the
#    verify script gives exit 0;
#  - failed and stalled attempts (with a stand-in ben-prep): noted in
#    OUT/job-<id>/attempts; an attempt SLURM starts after BEN_MAX_STALLS of
#    them does not run (exit 1); after SIGUSR1 ranks that stop are requeued,
#    ranks that cannot be reached are killed after BEN_STOP_GRACE and the job
#    is not requeued.
#
#   test_jobs_static.sh JOBS_DIR TESTS_DIR   environment: BEN_PREP, BEN_SYNTH
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
jobs_src=${1:?usage: test_jobs_static.sh JOBS_DIR TESTS_DIR}
tests_dir=${2:?usage: test_jobs_static.sh JOBS_DIR TESTS_DIR}
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP BEN_SYNTH
make_tmp
unset BEN_S1_ROOT BEN_S2_ROOT BEN_OUT BEN_SPLITS BEN_ARGS BEN_BIN BEN_MODULES \
  BEN_SRUN_ARGS BEN_MPIRUN BEN_MPIRUN_ARGS BEN_VERIFY_ARGS BEN_VERIFY_DEEP \
  BEN_MAX_REQUEUES BEN_STOP_GRACE BEN_SITE SLURM_JOB_ID SLURM_RESTART_COUNT

fail_mode=count
scripts=(ben-prep-srun.sbatch ben-prep-mpirun.sbatch ben-prep-verify.sbatch)

# ---- shellcheck -----------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
  if (cd "$jobs_src/.." && shellcheck -x jobs/*.sbatch jobs/site.env.example scripts/*.sh) &&
    (cd "$tests_dir" && shellcheck -x ./*.sh) &&
    (cd "$tests_dir/../multinode" && shellcheck -x ./*.sh); then
    pass "shellcheck: jobs/*.sbatch, jobs/site.env.example, scripts/*.sh, tests/slurm/*.sh, tests/multinode/*.sh"
  else
    fail "shellcheck found problems"
  fi
else
  echo "NOTE: shellcheck is not installed (apt-get install shellcheck): not run"
fi

# ---- the common part, the #SBATCH lines -------------------------------------------
common() { sed -n '/^# ==== common part/,/^# ==== end of the common part/p' "$1"; }
ref=$(common "$jobs_src/${scripts[0]}")
ok=1
[[ $(wc -l <<<"$ref") -gt 100 ]] || { fail "${scripts[0]}: no common part found"; ok=0; }
for s in "${scripts[@]:1}"; do
  if ! diff <(echo "$ref") <(common "$jobs_src/$s") >&2; then
    fail "$s: its common part differs from ${scripts[0]}'s"
    ok=0
  fi
done
((ok)) && pass "the common part is the same in the three job scripts"
for s in ben-prep-srun.sbatch ben-prep-mpirun.sbatch; do
  for l in '--signal=B:USR1@300' '--requeue' '--output=ben-prep-%j.out' '--open-mode=append'; do
    grep -qxF "#SBATCH $l" "$jobs_src/$s" || fail "$s: no '#SBATCH $l'"
  done
done
grep -qxF '#SBATCH --output=ben-prep-verify-%j.out' "$jobs_src/ben-prep-verify.sbatch" ||
  fail "ben-prep-verify.sbatch: no '#SBATCH --output=ben-prep-verify-%j.out'"
grep -q '^set -euo pipefail$' "$jobs_src/ben-prep-srun.sbatch" || fail "no set -euo pipefail"

# ---- outside a job --------------------------------------------------------------------
ok=1
for s in "${scripts[@]}"; do
  rc=0
  bash "$jobs_src/$s" >"$tmp/out" 2>&1 || rc=$?
  if [[ $rc -eq 2 ]] && grep -q "not inside a SLURM job: submit this script with sbatch" "$tmp/out"; then
    :
  else
    fail "$s outside a job: exit status $rc"
    sed 's/^/    | /' "$tmp/out" >&2
    ok=0
  fi
done
((ok)) && pass "outside a job every script stops with exit 2: 'not inside a SLURM job'"

# ---- stand-ins for SLURM's commands ---------------------------------------------------
# A copy of the scripts with a site file beside them, as a site installs them.
jobs=$tmp/jobs
mkdir -p "$jobs" "$tmp/bin"
cp "${scripts[@]/#/$jobs_src/}" "$jobs/"
cat >"$tmp/bin/scontrol" <<EOF
#!/bin/bash
# stand-in: 'scontrol show job ID' names the submitted script; 'requeue' noted
case "\$1" in
  show) echo "JobId=\$3 JobName=test"; echo "   Command=\$FAKE_SCRIPT"; echo "   WorkDir=\$PWD" ;;
  requeue) echo "requeue \$2" >>"$tmp/requeued" ;;
esac
EOF
cat >"$tmp/bin/srun" <<'EOF'
#!/bin/bash
# stand-in: drop srun's options, run the command once
while [[ $# -gt 0 && $1 == -* ]]; do shift; done
exec "$@"
EOF
cat >"$tmp/bin/scancel" <<EOF
#!/bin/bash
# stand-in: --signal=TERM reaches the stand-in ben-prep with FAKE_REACHABLE=1
if [[ \$* == *--signal=TERM* && \${FAKE_REACHABLE:-} == 1 && -s $tmp/fake.pid ]]; then
  kill -TERM "\$(cat "$tmp/fake.pid")"
fi
exit 0
EOF
chmod +x "$tmp/bin"/*

"$BEN_SYNTH" -o "$tmp/a" -n 12 -q
s1=$tmp/a/BigEarthNet-S1-v1.0
s2=$tmp/a/BigEarthNet-v1.0
splits="$tmp/a/splits/train.csv $tmp/a/splits/val.csv $tmp/a/splits/test.csv"
version=$("$BEN_PREP" --version)

# job SCRIPT ID ENV...: run a copy of SCRIPT as job ID; sets rc, out (its output)
job() {
  local s=$1 id=$2
  shift 2
  rc=0
  out=$tmp/job-$id.log
  (cd "$tmp" && env PATH="$tmp/bin:$PATH" SLURM_JOB_ID="$id" SLURM_JOB_NAME=test \
    SLURM_NTASKS=1 SLURM_JOB_NODELIST=localhost FAKE_SCRIPT="$jobs/$s" "$@" \
    bash "$jobs/$s") >"$out" 2>&1 || rc=$?
}
# expect WHAT RC PATTERN: the status and a line of the output
expect() {
  if [[ $rc -eq $2 ]] && grep -qE -- "$3" "$out"; then
    pass "$1: exit $rc, '$3'"
  else
    fail "$1: exit status $rc (expected $2) or no line '$3'"
    sed 's/^/    | /' "$out" | tail -n 15 >&2
  fi
}

# Missing and bad settings: exit 2, a message naming the setting.
# Without BEN_S1_ROOT, MM split files are ben-prep's usage error; S2-only
# split files convert, and verify --deep takes the S2 folder alone.
job ben-prep-srun.sbatch 41 BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o-mm" BEN_SPLITS="$splits" \
  BEN_BIN="$BEN_PREP"
expect "no BEN_S1_ROOT, MM split files" 2 "missing -r1/--root_folder_s1"
job ben-prep-srun.sbatch 42 BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o-s2" \
  BEN_SPLITS="$tmp/a/splits-s2/train.csv $tmp/a/splits-s2/val.csv" BEN_BIN="$BEN_PREP"
expect "no BEN_S1_ROOT, S2-only split files" 0 "result: +exit 0"
if ! grep -q bigearthnet-s2-19 "$tmp/o-s2/manifest.json" 2>/dev/null; then
  fail "S2-only job: no S2-only manifest"
fi
job ben-prep-verify.sbatch 43 BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o-s2" BEN_VERIFY_DEEP=1 \
  BEN_BIN="$BEN_PREP"
expect "verify --deep of S2-only output without BEN_S1_ROOT" 0 "verify: OK"
job ben-prep-srun.sbatch 12 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_SPLITS="$splits"
expect "no BEN_OUT" 2 "error: BEN_OUT is not set"
job ben-prep-srun.sbatch 13 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o"
expect "no BEN_SPLITS" 2 "error: BEN_SPLITS is not set"
job ben-prep-srun.sbatch 14 BEN_S1_ROOT="$tmp/nowhere" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits"
expect "BEN_S1_ROOT not a folder" 2 "error: BEN_S1_ROOT=$tmp/nowhere: no such folder"
job ben-prep-srun.sbatch 15 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits $tmp/x.csv"
expect "a split file missing" 2 "error: BEN_SPLITS: $tmp/x.csv: no such readable file"
job ben-prep-srun.sbatch 16 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits" BEN_ARGS="--force"
expect "BEN_ARGS=--force" 2 "error: BEN_ARGS: --force would delete the finished shards"
job ben-prep-srun.sbatch 17 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits" BEN_ARGS="-o $tmp/p"
expect "BEN_ARGS=-o" 2 "error: BEN_ARGS: -o: set BEN_OUT"
job ben-prep-srun.sbatch 18 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits" BEN_BIN=no-such-ben-prep
expect "BEN_BIN not found" 2 "error: BEN_BIN=no-such-ben-prep: no such program"
job ben-prep-srun.sbatch 19 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits" BEN_MAX_REQUEUES=many
expect "BEN_MAX_REQUEUES not a number" 2 "error: BEN_MAX_REQUEUES=many: not a number"
job ben-prep-srun.sbatch 20 BEN_SITE="$tmp/no-site.env"
expect "BEN_SITE missing" 2 "error: BEN_SITE=$tmp/no-site.env: no such readable file"
job ben-prep-mpirun.sbatch 21 BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o" BEN_SPLITS="$splits" BEN_BIN="$BEN_PREP" BEN_MPIRUN=no-such-mpirun
expect "BEN_MPIRUN not found" 2 "error: BEN_MPIRUN=no-such-mpirun: no such program"
job ben-prep-verify.sbatch 22
expect "verify without BEN_OUT" 2 "error: BEN_OUT is not set"
job ben-prep-verify.sbatch 23 BEN_OUT="$tmp" BEN_VERIFY_DEEP=1
expect "verify --deep without the archive" 2 "error: BEN_S2_ROOT is not set"
[[ ! -e $tmp/o ]] || fail "a refused job created its output folder"

# The site file beside the script; the environment wins, even when empty.
cat >"$jobs/site.env" <<EOF
BEN_S1_ROOT=$s1
BEN_S2_ROOT=$s2
BEN_BIN=$BEN_PREP
BEN_ARGS="--records-per-shard 1000"
BEN_SRUN_ARGS="--exclusive"
BEN_MAX_REQUEUES=3
EOF
job ben-prep-srun.sbatch 31 BEN_OUT="$tmp/o31" BEN_SPLITS="$splits" BEN_ARGS="--records-per-shard 2" BEN_SRUN_ARGS=
expect "conversion (site file + environment)" 0 "^result:    exit 0: complete, manifest written"
st=$tmp/o31/job-31/settings.txt
if [[ -f $st ]]; then
  ok=1
  for l in "site file: $jobs/site.env" "version:   $version" \
    "BEN_S1_ROOT       (site file)  $s1" "BEN_ARGS          (environment) --records-per-shard\\ 2" \
    "BEN_SRUN_ARGS     (environment) ''" "BEN_MAX_REQUEUES  (site file)  3" \
    "BEN_STOP_GRACE    (default)    120" "BEN_OUT           (environment) $tmp/o31" \
    "command:   srun --mpi=pmix --kill-on-bad-exit=0 $BEN_PREP -r1 $s1 -r2 $s2 -o $tmp/o31 -n $splits --resume --records-per-shard 2 " \
    "result:    exit 0: complete, manifest written"; do
    grep -qxF -- "$l" "$st" || { fail "settings.txt: no line '$l'"; ok=0; }
  done
  ((ok)) && pass "settings.txt: site file beside the script, environment wins (also empty), defaults, command, version, result"
  ((ok)) || sed 's/^/    | /' "$st" >&2
else
  fail "no $st"
fi
n=$(find "$tmp/o31" -name '*.tfrecord' | wc -l)
[[ $n -eq 7 ]] || fail "BEN_ARGS from the environment not used: $n shards, expected 7 (12 rows in 3 splits, 2 per shard)"

# Submitted again: complete, nothing to do, exit 0; a second block in settings.txt.
job ben-prep-srun.sbatch 31 BEN_OUT="$tmp/o31" BEN_SPLITS="$splits" BEN_ARGS="--records-per-shard 2" SLURM_RESTART_COUNT=1
expect "conversion again on the complete output" 0 "^result:    exit 0: complete"
if [[ $(grep -c '^== attempt' "$st") -ne 2 ]] || ! grep -q '^== attempt 2 of job 31' "$st"; then
  fail "settings.txt: no block for attempt 2"
fi

# BEN_SITE: another site file instead of the one beside the script.
printf 'BEN_ARGS="--records-per-shard 5"\nBEN_BIN=%s\n' "$BEN_PREP" >"$tmp/other.env"
job ben-prep-srun.sbatch 32 BEN_SITE="$tmp/other.env" BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_OUT="$tmp/o32" BEN_SPLITS="$splits"
expect "conversion with BEN_SITE" 0 "^site file: $tmp/other.env$"
grep -qxF "BEN_MAX_REQUEUES  (default)    10" "$tmp/o32/job-32/settings.txt" ||
  fail "BEN_SITE: the site file beside the script was read too"

# The verify script.
job ben-prep-verify.sbatch 33 BEN_OUT="$tmp/o31" BEN_VERIFY_DEEP=1
expect "verify --deep" 0 "^result:    exit 0: $tmp/o31 verified"
grep -qF "command:   srun --mpi=pmix --kill-on-bad-exit=0 --exclusive $BEN_PREP verify $tmp/o31 --deep $s1 $s2 " "$out" ||
  { fail "verify: not the expected command"; sed 's/^/    | /' "$out" | grep command >&2; }
[[ ! -e $tmp/requeued ]] || fail "a job requeued itself without being signalled"

# ---- failed and stalled attempts ----------------------------------------------------
# A stand-in ben-prep (FAKE_RC: its status; FAKE_SLEEP: runs that long and
# stops with status 4 on SIGTERM, which the scancel stand-in passes on only
# with FAKE_REACHABLE=1, as SLURM cannot reach the ranks of a lost node).
cat >"$tmp/fake-ben-prep" <<EOF2
#!/bin/bash
[[ \${1:-} != --version ]] || { echo "fake-ben-prep 1"; exit 0; }
echo run >>"$tmp/fake.runs"
[[ -n \${FAKE_SLEEP:-} ]] || exit "\${FAKE_RC:-1}"
: >"\$BEN_OUT/ben-prep.journal"
trap 'kill \$!; exit 4' TERM
sleep "\$FAKE_SLEEP" &
echo \$\$ >"$tmp/fake.pid"
wait \$!
EOF2
chmod +x "$tmp/fake-ben-prep"
fake_runs() { grep -c . "$tmp/fake.runs" 2>/dev/null || echo 0; }
fake=(BEN_S1_ROOT="$s1" BEN_S2_ROOT="$s2" BEN_SPLITS="$splits" BEN_BIN="$tmp/fake-ben-prep")
rm -f "$jobs/site.env"

# A failure is noted; SLURM requeues the job twice by itself (a node
# failure, say): the second attempt runs, the third does not.
job ben-prep-srun.sbatch 61 "${fake[@]}" BEN_OUT="$tmp/o61"
expect "failed attempt" 1 "^result:    exit 1: failed \(launcher status 1; .*not requeued; failed or stalled attempts of this job: 1 \(BEN_MAX_STALLS=2\)"
job ben-prep-srun.sbatch 61 "${fake[@]}" BEN_OUT="$tmp/o61" SLURM_RESTART_COUNT=1
expect "failed again, requeued by SLURM" 1 "failed or stalled attempts of this job: 2 "
job ben-prep-srun.sbatch 61 "${fake[@]}" BEN_OUT="$tmp/o61" SLURM_RESTART_COUNT=2
expect "requeued after 2 failed attempts" 1 "^result:    exit 1: not run: failed or stalled attempts of job 61: 2 \(BEN_MAX_STALLS=2"
[[ $(fake_runs) -eq 2 ]] || fail "after 2 failed attempts: ben-prep ran $(fake_runs) times, expected 2"
[[ $(tr '\n' ' ' <"$tmp/o61/job-61/attempts") == "1 started 1 failed 2 started 2 failed 3 refused " ]] ||
  fail "o61/job-61/attempts: $(tr '\n' ' ' <"$tmp/o61/job-61/attempts")"

# An attempt that never ended (killed with its node) is a stall too.
mkdir -p "$tmp/o62/job-62"
echo "1 started" >"$tmp/o62/job-62/attempts"
job ben-prep-srun.sbatch 62 "${fake[@]}" BEN_OUT="$tmp/o62" SLURM_RESTART_COUNT=1 BEN_MAX_STALLS=1
expect "requeued after an attempt that never ended, BEN_MAX_STALLS=1" 1 "^result:    exit 1: not run: failed or stalled attempts of job 62: 1 \(BEN_MAX_STALLS=1"
job ben-prep-srun.sbatch 62 "${fake[@]}" BEN_OUT="$tmp/o62" SLURM_RESTART_COUNT=1 BEN_MAX_STALLS=x
expect "BEN_MAX_STALLS not a number" 2 "error: BEN_MAX_STALLS=x: not a positive number"

# The time-limit warning (SIGUSR1 to the job script): ranks that stop are
# requeued; ranks that cannot be reached (a lost node) are killed after
# BEN_STOP_GRACE and the job is not requeued.
signalled() { # ID ENV...: run a job, SIGUSR1 once ben-prep runs; sets rc, out
  local id=$1 pid i
  shift
  rm -f "$tmp/fake.pid"
  out=$tmp/job-$id.log
  (cd "$tmp" && exec env PATH="$tmp/bin:$PATH" SLURM_JOB_ID="$id" SLURM_JOB_NAME=test \
    SLURM_NTASKS=1 SLURM_JOB_NODELIST=localhost FAKE_SCRIPT="$jobs/ben-prep-srun.sbatch" \
    FAKE_SLEEP=60 BEN_STOP_GRACE=2 "$@" bash "$jobs/ben-prep-srun.sbatch") >"$out" 2>&1 &
  pid=$!
  for ((i = 0; i < 100; i++)); do [[ -s $tmp/fake.pid ]] && break; sleep 0.1; done
  kill -USR1 "$pid"
  rc=0
  wait "$pid" || rc=$?
}
rm -f "$tmp/requeued"
signalled 63 "${fake[@]}" BEN_OUT="$tmp/o63" FAKE_REACHABLE=1
expect "SIGUSR1, the ranks stop" 4 "^result:    exit 4: interrupted .*; requeued: the next attempt resumes"
[[ -e $tmp/requeued ]] || fail "SIGUSR1, the ranks stop: not requeued"
rm -f "$tmp/requeued"
signalled 64 "${fake[@]}" BEN_OUT="$tmp/o64"
expect "SIGUSR1, the ranks do not stop" 4 "^result:    exit 4: interrupted .*; the ranks did not stop within 2s and were killed \(a lost node or network\?\): not requeued"
[[ ! -e $tmp/requeued ]] || fail "SIGUSR1, the ranks do not stop: requeued"
[[ $(tail -n 1 "$tmp/o64/job-64/attempts") == "1 stalled" ]] || fail "o64/job-64/attempts: no '1 stalled'"

finish
