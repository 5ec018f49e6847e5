#!/bin/bash
# SLURM's client commands for the multi-node test (see lib.sh): installed in
# the test's bin folder (first in PATH) as sbatch, squeue, scontrol, ...
# Outside the test hosts (the test script, in the machine's own network
# namespace, where the controller cannot be reached) the real command runs
# on the controller's host; on a test host (a job script, a rank) it runs
# right there.
name=${0##*/}
dir=$(cd "$(dirname "$0")" && pwd)
real=
IFS=: read -r -a path <<<"$PATH"
for d in "${path[@]}"; do
  if [[ $d != "$dir" && -x $d/$name ]]; then
    real=$d/$name
    break
  fi
done
[[ -n $real ]] || { echo "$name: not found in PATH" >&2; exit 127; }
# (ip netns identify: the name of the namespace this runs in, if it has one)
if [[ $(PATH=$PATH:/usr/sbin:/sbin ip netns identify 2>/dev/null) != "${BENPREP_MN_ID:?}"-* ]]; then
  exec "$(dirname "$(readlink -f "$0")")/on-host.sh" "${BENPREP_MN_CTL:?}" "$real" "$@"
fi
exec "$real" "$@"
