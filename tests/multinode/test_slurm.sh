#!/usr/bin/env bash
# The job scripts on a SLURM of two nodes (see lib.sh: slurmctld on its own
# host, one slurmd on each of the two hosts, munged with its own key and
# socket), each submitted with sbatch --wait --nodes=2 --ntasks-per-node=2;
# the ranks use TCP only (OMPI_MCA_btl=self,tcp, exported to the jobs):
#  - ben-prep-srun.sbatch (srun --mpi=pmix): exit 0; ranks 0, 1 on bpn1 and
#    2, 3 on bpn2; the output byte-identical to a one-host run and verified;
#  - ben-prep-mpirun.sbatch (mpirun inside the allocation: it starts its
#    daemon on bpn2 through srun): the same;
#  - ben-prep-verify.sbatch (--deep) on the srun job's output: exit 0, ranks
#    on both hosts.
#
#   test_slurm.sh    environment: see ../slurm/common.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm/common.sh
source "$here/../slurm/common.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"
slurm_require
mn_require

tmp=$(mktemp -d)
mn_start "$tmp" "${BENPREP_SLURM_LIMIT:-180}"
t0=$SECONDS
mn_slurm
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=$mn_subnet.0/24 \
  OMPI_MCA_oob_tcp_if_include=$mn_subnet.0/24
echo "SLURM up: $((SECONDS - t0)) s"

mn_reference "$tmp"

bin=$tmp/ben-prep-hosts
ranks_bin "$bin"
export BEN_S1_ROOT=$s1 BEN_S2_ROOT=$s2 BEN_SPLITS=$splits_str BEN_BIN=$bin
export BEN_ARGS="--records-per-shard $rps -v"
export BEN_SITE=$tmp/site.env # none of a developer's jobs/site.env
: >"$BEN_SITE"
nodes=(--nodes=2 --ntasks-per-node=2)

# srun, mpirun: the job, its ranks' hosts, the output.
for kind in srun mpirun; do
  rm -rf "$bin.d"/*
  out=$tmp/out-$kind
  if [[ $kind == srun ]]; then
    script=$BEN_JOB_SRUN
  else
    script=$BEN_JOB_MPIRUN
    read -r -a mp <<<"$MPIRUN"
    export BEN_MPIRUN=${mp[0]} BEN_MPIRUN_ARGS="${mp[*]:1}"
  fi
  BEN_OUT=$out submit "$tmp/logs-$kind" 120 "${nodes[@]}" --export=ALL "$script"
  if expect_rc 0 "$kind job on 2 nodes"; then
    grep -q "^host:      bpn1   nodes: bpn\[1-2\]   tasks: 4$" "$log" ||
      fail "$kind job: the log has no 'host: bpn1 nodes: bpn[1-2] tasks: 4'"
    ranks_on_both_hosts "$bin" "$log" "$kind job"
    same_output "$tmp/ref" "$out" "$kind job on 2 nodes"
    check_output "$out" "$kind job on 2 nodes"
  fi
done

if have_verify; then
  rm -rf "$bin.d"/*
  BEN_OUT=$tmp/out-srun BEN_VERIFY_DEEP=1 \
    submit "$tmp/logs-verify" 120 "${nodes[@]}" --export=ALL "$BEN_JOB_VERIFY"
  if expect_rc 0 "verify job (--deep) on 2 nodes"; then
    ranks_on_both_hosts "$bin" "" "verify job"
  fi
fi

echo "test_slurm: $((SECONDS - t0)) s with the hosts up"
finish
