# shellcheck shell=bash
# Helpers for the job-script tests (tests/slurm/test_*.sh): the generated
# archive, the reference output, submitting a job script and checking its
# log and its output.
#
# Environment (from CTest): BEN_PREP, BEN_SYNTH, SHARED, MPIRUN,
# BEN_JOB_SRUN, BEN_JOB_MPIRUN, BEN_JOB_VERIFY (the job scripts),
# FAILIO_PRELOAD (the shim that slows a run down).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP BEN_SYNTH SHARED MPIRUN BEN_JOB_SRUN BEN_JOB_MPIRUN \
  BEN_JOB_VERIFY
use_mpirun

# The job scripts' settings must come from this test only.
unset BEN_S1_ROOT BEN_S2_ROOT BEN_OUT BEN_SPLITS BEN_ARGS BEN_BIN BEN_MODULES \
  BEN_SRUN_ARGS BEN_MPIRUN BEN_MPIRUN_ARGS BEN_VERIFY_ARGS BEN_VERIFY_DEEP \
  BEN_MAX_REQUEUES BEN_STOP_GRACE BEN_SITE

fail_mode=count # every check runs; finish reports

# make_archive DIR: the generated archive (200 pairs, three splits); sets
# s1 s2 splits (array) and splits_str.
make_archive() {
  "$BEN_SYNTH" -o "$1" -n 200 -q
  s1=$1/BigEarthNet-S1-v1.0
  s2=$1/BigEarthNet-v1.0
  splits=("$1/splits/train.csv" "$1/splits/val.csv" "$1/splits/test.csv")
  # shellcheck disable=SC2034 # for the test scripts
  splits_str="${splits[*]}"
}

# reference OUT [OPTION...]: the uninterrupted conversion, 3 ranks, mpirun
# outside SLURM, with these further options.
rps=10
reference() {
  "${mpirun[@]}" -np 3 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$1" \
    -n "${splits[@]}" --records-per-shard "$rps" -q "${@:2}"
}

# names DIR: the files in DIR but the job scripts' records (job-<id>/).
names() { find "$1" -mindepth 1 -maxdepth 1 ! -name 'job-*' -printf '%f\n' | sort; }

# same_output REF OUT WHAT: the same shards, byte for byte, and the same
# manifest but for its "run" object; nothing else of the converter's left.
same_output() {
  local ref=$1 out=$2 what=$3 f ok=1
  if ! diff <(names "$ref") <(names "$out") >&2; then
    fail "$what: other files than the reference run's"
    ok=0
  fi
  for f in "$ref"/*.tfrecord; do
    cmp -s "$f" "$out/${f##*/}" || { fail "$what: ${f##*/} differs"; ok=0; }
  done
  if ! diff <(sed '/"run": {/,$d' "$ref/manifest.json") \
    <(sed '/"run": {/,$d' "$out/manifest.json") >&2; then
    fail "$what: the manifest differs (beyond \"run\")"
    ok=0
  fi
  ((ok)) && pass "$what: shards byte-identical to an uninterrupted run, manifest identical but for \"run\""
  return 0
}

# have_verify: ben-prep verify exists in this build.
have_verify() { "$BEN_PREP" verify --help >/dev/null 2>&1; }

# check_output OUT WHAT: verified: ben-prep verify (on 2 ranks, outside
# SLURM).
check_output() {
  local out=$1 what=$2
  if "${mpirun[@]}" -np 2 "$BEN_PREP" verify "$out" -q >"${tmp:?}/verify.log" 2>&1; then
    pass "$what: ben-prep verify: no problem"
  else
    sed 's/^/    | /' "$tmp/verify.log" | tail -n 20 >&2
    fail "$what: ben-prep verify found problems"
  fi
}

# submit LOGDIR TIMEOUT SBATCH_ARGS...: sbatch --wait in LOGDIR (where the
# job's log goes); sets jid, rc (the job's exit status as sbatch --wait
# reports it) and log (the log file).
submit() {
  local dir=$1 limit=$2
  shift 2
  mkdir -p "$dir"
  rc=0
  jid=$(cd "$dir" && timeout "$limit" sbatch --wait --parsable "$@" 2>"$dir/sbatch.err") || rc=$?
  jid=${jid%%;*}
  log=$(find "$dir" -maxdepth 1 -name "ben-prep*-$jid.out" | head -n 1)
  if [[ -z $jid ]]; then
    sed 's/^/    | /' "$dir/sbatch.err" >&2
  fi
}

# submit_bg LOGDIR TIMEOUT SBATCH_ARGS...: the same in the background; sets
# jid once SLURM took the job and bg (the sbatch process).
submit_bg() {
  local dir=$1 limit=$2 i
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/jobid" "$dir/rc"
  (
    cd "$dir" || exit 1
    r=0
    timeout "$limit" sbatch --wait --parsable "$@" >"$dir/jobid" 2>"$dir/sbatch.err" || r=$?
    echo "$r" >"$dir/rc"
  ) &
  bg=$!
  jid=
  for ((i = 0; i < 300; i++)); do
    jid=$(cat "$dir/jobid" 2>/dev/null || true)
    jid=${jid%%;*}
    [[ -z $jid ]] || break
    sleep 0.1
  done
  [[ -n $jid ]] || { sed 's/^/    | /' "$dir/sbatch.err" >&2; return 1; }
}
# wait_bg: wait for submit_bg's sbatch; sets rc and log.
wait_bg() {
  local dir=$1
  wait "$bg" || true
  rc=$(cat "$dir/rc" 2>/dev/null || echo 255)
  log=$(find "$dir" -maxdepth 1 -name "ben-prep*-$jid.out" | head -n 1)
}

show_log() {
  [[ -n ${log:-} && -f $log ]] || { echo "    (no job log)" >&2; return 0; }
  echo "    ---- $log" >&2
  sed 's/^/    | /' "$log" | tail -n "${1:-40}" >&2
}

# expect_rc WANT WHAT: the job's exit status as sbatch --wait reported it,
# and the job script's own "result:" line in the log.
expect_rc() {
  local want=$1 what=$2
  if [[ $rc -eq $want ]] && grep -q "^result: *exit $want:" "$log" 2>/dev/null; then
    pass "$what: job $jid exit status $rc ($(grep '^result:' "$log" | tail -n 1 | sed 's/^result: *//'))"
    return 0
  fi
  fail "$what: job $jid: sbatch --wait exit status $rc, expected $want"
  show_log 40
  return 1
}

# wait_journal OUT N SECONDS: until the journal records N finished shards
# (fails if the job ended first or time ran out).
wait_journal() {
  local out=$1 n=$2 limit=$3 start=$SECONDS
  while [[ $(journal_shards "$out") -lt $n ]]; do
    if ((SECONDS - start > limit)); then return 1; fi
    if [[ -n ${bg:-} ]] && ! kill -0 "$bg" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
}

# slow_bin FILE DELAY_US: a BEN_BIN that slows the first attempt of a job
# down (a delay before every GeoTIFF open, with the failio shim; not once
# FILE.fast exists) and notes
# each rank's exit status in FILE.d/attempt<N>.rank<R> (N = the job's
# restart count). The ranks are its children: SIGTERM reaches both (srun's
# step and mpirun's process group), the wrapper waits for ben-prep.
slow_bin() {
  local f=$1 delay=$2
  : "${FAILIO_PRELOAD:?}"
  mkdir -p "$f.d"
  cat >"$f" <<EOF
#!/bin/bash
rank=\${OMPI_COMM_WORLD_RANK:-\${PMIX_RANK:-}}
if [[ \${SLURM_RESTART_COUNT:-0} -eq 0 && -n \$rank && ! -e "$f.fast" ]]; then
  export LD_PRELOAD="$FAILIO_PRELOAD" FAILIO_MATCH=.tif FAILIO_DELAY_US=$delay
fi
[[ -n \$rank ]] || exec "$BEN_PREP" "\$@"
sigs=0
trap 'sigs=\$((sigs + 1))' TERM INT
"$BEN_PREP" "\$@" &
child=\$!
while :; do
  n=\$sigs
  rc=0
  wait "\$child" || rc=\$?
  [[ \$n -ne \$sigs ]] || break
done
echo "\$rc" >"$f.d/attempt\${SLURM_RESTART_COUNT:-0}.rank\$rank"
exit "\$rc"
EOF
  chmod +x "$f"
}

# rank_statuses FILE ATTEMPT: "rank=status ..." of that attempt.
rank_statuses() {
  local g out=
  for g in "$1.d/attempt$2.rank"*; do
    [[ -e $g ]] || continue
    out+="${g##*.rank}=$(cat "$g") "
  done
  echo "${out% }"
}
