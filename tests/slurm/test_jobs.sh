#!/usr/bin/env bash
# The job scripts on a real SLURM (started here, see lib.sh), each submitted
# with sbatch --wait on a generated archive of 200 pairs:
#  - ben-prep-srun.sbatch on 3 tasks (srun --mpi=pmix): exit 0, the output
#    identical to an uninterrupted mpirun run and verified; settings from the
#    site file beside the script and from the environment (which wins), the
#    command and the version recorded in OUT/job-<id>/settings.txt;
#  - submitted again on the complete output: exit 0, nothing converted;
#  - ben-prep-mpirun.sbatch: exit 0, identical output;
#  - ben-prep-verify.sbatch (with --deep) on that output: exit 0; on a copy
#    with one flipped byte: exit 1 (skipped, with a note, where this build
#    has no ben-prep verify yet);
#  - exit statuses: a missing setting 2, a bad patch 1, the same with
#    --max-failures 3.
#
#   test_jobs.sh    environment: see common.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=common.sh
source "$here/common.sh"
slurm_require

tmp=$(mktemp -d)
slurm_start "$tmp" "${BENPREP_SLURM_LIMIT:-540}"
t0=$SECONDS

make_archive "$tmp/archive"
reference "$tmp/ref"
echo "reference: $(find "$tmp/ref" -name '*.tfrecord' | wc -l) shards on 3 ranks (mpirun, outside SLURM)"

# The job scripts as a site installs them: a copy, with site.env beside them.
jobs=$tmp/jobs
mkdir -p "$jobs"
cp "$BEN_JOB_SRUN" "$BEN_JOB_MPIRUN" "$BEN_JOB_VERIFY" "$jobs/"
cat >"$jobs/site.env" <<EOF
# test site file
BEN_S1_ROOT=$s1
BEN_S2_ROOT=$s2
BEN_BIN=$BEN_PREP
BEN_ARGS="--records-per-shard 99"
EOF
version=$("$BEN_PREP" --version)

# ---- srun ---------------------------------------------------------------------
out=$tmp/out-srun
# The documented form: --export=ALL,NAME=VALUE,...; BEN_ARGS overrides the site file.
submit "$tmp/logs-srun" 300 --ntasks=3 \
  --export="ALL,BEN_OUT=$out,BEN_SPLITS=$splits_str,BEN_ARGS=--records-per-shard $rps" \
  "$jobs/ben-prep-srun.sbatch"
if expect_rc 0 "srun job"; then
  same_output "$tmp/ref" "$out" "srun job"
  check_output "$out" "srun job"
  [[ ! -e $out/ben-prep.journal ]] || fail "srun job: the journal is still there"
  settings=$out/job-$jid/settings.txt
  if [[ -f $settings ]]; then
    ok=1
    grep -qxF "version:   $version" "$settings" || { fail "settings.txt: no 'version:   $version'"; ok=0; }
    grep -qF "command:   srun --mpi=pmix --kill-on-bad-exit=0 $BEN_PREP -r1 $s1 -r2 $s2 -o $out -n ${splits[*]} --resume --records-per-shard $rps " "$settings" ||
      { fail "settings.txt: not the expected srun command"; ok=0; }
    grep -q "^BEN_S1_ROOT  *(site file) " "$settings" || { fail "settings.txt: BEN_S1_ROOT not from the site file"; ok=0; }
    grep -q "^BEN_ARGS  *(environment) --records-per-shard" "$settings" || { fail "settings.txt: BEN_ARGS not from the environment"; ok=0; }
    grep -q "^BEN_MAX_REQUEUES  *(default) *10$" "$settings" || { fail "settings.txt: BEN_MAX_REQUEUES not the default"; ok=0; }
    grep -qxF "site file: $jobs/site.env" "$settings" || { fail "settings.txt: the site file beside the script was not found"; ok=0; }
    grep -q "^result:    exit 0: complete" "$settings" || { fail "settings.txt: no result line"; ok=0; }
    ((ok)) && pass "srun job: $settings: version, srun command, settings with their sources (site file, environment wins, default), result"
  else
    fail "srun job: no $settings"
  fi
  grep -q "ben-prep\\[0\\]: info: done: 200 records in 20 shards" "$log" ||
    { fail "srun job: the log has no 'done: 200 records in 20 shards'"; show_log 20; }

  # Again on the complete output: --resume says so, exit 0.
  submit "$tmp/logs-srun" 300 --ntasks=2 \
    --export="ALL,BEN_OUT=$out,BEN_SPLITS=$splits_str,BEN_ARGS=--records-per-shard $rps" \
    "$jobs/ben-prep-srun.sbatch"
  if expect_rc 0 "srun job again on the complete output"; then
    same_output "$tmp/ref" "$out" "srun job again"
  fi
fi

# ---- mpirun -------------------------------------------------------------------
out=$tmp/out-mpirun
read -r -a mp <<<"$MPIRUN"
BEN_OUT=$out BEN_SPLITS=$splits_str BEN_ARGS="--records-per-shard $rps" \
  BEN_MPIRUN=${mp[0]} BEN_MPIRUN_ARGS="${mp[*]:1}" \
  submit "$tmp/logs-mpirun" 300 --ntasks=3 --export=ALL "$jobs/ben-prep-mpirun.sbatch"
if expect_rc 0 "mpirun job"; then
  same_output "$tmp/ref" "$out" "mpirun job"
  grep -q "^command:   $(printf '%q' "$(type -P "${mp[0]}")") " "$out/job-$jid/settings.txt" ||
    fail "mpirun job: settings.txt has no mpirun command"
fi

# ---- verify -------------------------------------------------------------------
BEN_OUT=$out BEN_VERIFY_DEEP=1 \
  submit "$tmp/logs-verify" 300 --ntasks=3 --export=ALL "$jobs/ben-prep-verify.sbatch"
if expect_rc 0 "verify job (--deep) on the mpirun job's output"; then
  grep -qF "command:   srun --mpi=pmix --kill-on-bad-exit=0 $BEN_PREP verify $out --deep $s1 $s2 " "$log" ||
    fail "verify job: no 'srun --mpi=pmix ... verify OUT --deep S1 S2' command in the log"
fi
bad=$tmp/out-bad
cp -r "$out" "$bad"
f=$bad/train-00000-of-00012.tfrecord
printf '\x55' | dd of="$f" bs=1 seek=5000 conv=notrunc status=none
BEN_OUT=$bad submit "$tmp/logs-verify" 300 --ntasks=2 --export=ALL "$jobs/ben-prep-verify.sbatch"
expect_rc 1 "verify job on an output with one changed byte"

# ---- exit statuses ------------------------------------------------------------
BEN_SPLITS=$splits_str submit "$tmp/logs-status" 120 --ntasks=1 --export=ALL "$jobs/ben-prep-srun.sbatch"
if expect_rc 2 "srun job without BEN_OUT"; then
  grep -q "BEN_OUT is not set" "$log" || fail "no 'BEN_OUT is not set' in the log"
fi

bad=$tmp/archive-bad
"$BEN_SYNTH" -o "$bad" -n 30 -q
victim=$(head -n 3 "$bad/splits/train.csv" | tail -n 1 | cut -d, -f1 | tr -d '\r')
rm "$bad/BigEarthNet-v1.0/$victim/${victim}_B05.tif"
bad_splits="$bad/splits/train.csv $bad/splits/val.csv $bad/splits/test.csv"
BEN_S1_ROOT=$bad/BigEarthNet-S1-v1.0 BEN_S2_ROOT=$bad/BigEarthNet-v1.0 \
  BEN_OUT=$tmp/out-bad1 BEN_SPLITS=$bad_splits \
  submit "$tmp/logs-status" 120 --ntasks=3 --export=ALL "$jobs/ben-prep-srun.sbatch"
if expect_rc 1 "srun job with a missing band file"; then
  grep -q "${victim}_B05.tif" "$log" || fail "the log does not name the missing file"
fi
BEN_S1_ROOT=$bad/BigEarthNet-S1-v1.0 BEN_S2_ROOT=$bad/BigEarthNet-v1.0 \
  BEN_OUT=$tmp/out-bad3 BEN_SPLITS=$bad_splits BEN_ARGS="--max-failures 5" \
  submit "$tmp/logs-status" 120 --ntasks=3 --export=ALL "$jobs/ben-prep-srun.sbatch"
if expect_rc 3 "srun job with a missing band file and --max-failures 5"; then
  [[ -f $tmp/out-bad3/manifest.json ]] || fail "exit 3 but no manifest"
fi

echo "test_jobs: $((SECONDS - t0)) s with SLURM up"
finish
