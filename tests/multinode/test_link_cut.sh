#!/usr/bin/env bash
# A lost host during a conversion: ben-prep on 4 ranks across the two hosts
# (ranks 0, 1 on bpn1; 2, 3 on bpn2; see lib.sh) with --stall-limit 10,
# slowed down (a delay before every GeoTIFF open) so that it is still running
# when, after 4 shards are journaled, bpn2's cable is pulled (its veth's end
# on the bridge goes down: no reset, no error, the peers just fall silent).
#  - the run ends with exit status 1 within the stall limit + 35 s of the
#    cut, and a message names a rank of bpn2 (2 or 3) and the host bpn2;
#  - the finished shards stay journaled (journal, no manifest);
#  - what is still running on bpn2 is reported, then ended (the host is
#    gone), and --resume on bpn1 alone (3 ranks) completes: the output is
#    byte-identical to an uninterrupted run (shards; manifest but for "run")
#    and verified.
#
#   test_link_cut.sh mpirun   mpirun across the hosts (on-host.sh as the
#                             rsh agent). On the Linux default
#                             (net.ipv4.tcp_retries2 = 15) mpirun, once the
#                             ranks abort, waits about 15 minutes for its
#                             lost daemon's TCP connection to time out, so
#                             bpn1 (where mpirun runs) gets tcp_retries2 = 5
#                             (in its own namespace; about 13 s); see the
#                             README, "Running on several nodes".
#   test_link_cut.sh srun     srun --mpi=pmix on the two-node SLURM (srun
#                             ends the step KillWait + 2 s after the abort).
#
#   environment: see ../slurm/common.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
mode=${1:?usage: test_link_cut.sh mpirun|srun}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm/common.sh
source "$here/../slurm/common.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"
: "${FAILIO_PRELOAD:?}"
[[ $mode == mpirun ]] || slurm_require
mn_require

stall=10
bound=$((stall + 35))
rps=5
tmp=$(mktemp -d)
mn_start "$tmp" "${BENPREP_SLURM_LIMIT:-180}"
t0=$SECONDS
opts=(--stall-limit "$stall") # and common.sh's --records-per-shard "$rps"
bin=$tmp/ben-prep-slow # the ranks' exit statuses in $bin.d/attempt0.rank<N>
slow_bin "$bin" 20000
case $mode in
  mpirun)
    nsenter --net="/run/netns/$(mn_ns bpn1)" sysctl -qw net.ipv4.tcp_retries2=5
    launch=(on_host bpn1 "${mn_mpirun[@]}" -np 4)
    ;;
  srun)
    mn_slurm
    export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=$mn_subnet.0/24 \
      OMPI_MCA_oob_tcp_if_include=$mn_subnet.0/24
    launch=(on_host bpn1 srun --mpi=pmix --kill-on-bad-exit=0 --nodes=2 --ntasks-per-node=2)
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

mn_reference "$tmp" "${opts[@]}"
nshards=$(find "$tmp/ref" -name '*.tfrecord' | wc -l)

# ---- the run, the cut -------------------------------------------------------------
out=$tmp/out
"${launch[@]}" "$bin" -r1 "$s1" -r2 "$s2" -o "$out" -n "${splits[@]}" \
  --records-per-shard "$rps" "${opts[@]}" --progress 1 >"$tmp/run.log" 2>&1 &
bg=$!
if ! wait_journal "$out" 4 90; then
  fail "$mode: the run did not journal 4 shards (exit or 90 s)"
  grep -v ': progress: ' "$tmp/run.log" | tail -n 20 | sed 's/^/    | /' >&2
  finish
fi
mn_cut bpn2
cut=$SECONDS
echo "$mode: $(journal_shards "$out") of $nshards shards journaled: bpn2's link cut"
while kill -0 "$bg" 2>/dev/null && ((SECONDS - cut <= bound + 30)); do sleep 0.2; done
took=$((SECONDS - cut))
rc=0
if kill -0 "$bg" 2>/dev/null; then
  fail "$mode: the run still runs $took s after the cut: stopped"
  kill -TERM "$bg"
  mn_kill_host bpn1
  wait "$bg" || true
  rc=-1
else
  wait "$bg" || rc=$?
fi
st="ranks' exit statuses: $(rank_statuses "$bin" 0)"
if ((rc >= 0)); then
  if [[ $rc -eq 1 && $took -le $bound ]]; then
    pass "$mode: the run ended with exit status 1, $took s after the cut (stall limit $stall s, bound $bound s; $st)"
  else
    fail "$mode: the run ended with exit status $rc, $took s after the cut (expected 1 within $bound s; $st)"
  fi
fi
msg=$(grep -E 'rank [23]\b.*bpn2|bpn2.*rank [23]\b' "$tmp/run.log" | head -n 1 || true)
if [[ -n $msg ]]; then
  pass "$mode: the message names the rank and the host: $msg"
else
  fail "$mode: no message naming rank 2 or 3 and host bpn2"
  grep -v ': progress: ' "$tmp/run.log" | tail -n 20 | sed 's/^/    | /' >&2
fi
kept=$(journal_shards "$out")
if [[ -f $out/ben-prep.journal && ! -f $out/manifest.json && $kept -ge 4 ]]; then
  pass "$mode: $kept finished shards stay journaled, no manifest"
else
  fail "$mode: expected the journal with at least 4 shards and no manifest"
fi

# ---- the host is gone: what runs there ends; resume on bpn1 alone -------------------
left=$(for p in $(ip netns pids "$(mn_ns bpn2)"); do
  [[ " ${slurm_pids[*]} " == *" $p "* ]] || ps -o comm= -p "$p"
done | sort | uniq -c | awk '{printf "%s%s ", $2, ($1 > 1 ? "x" $1 : "")}')
echo "$mode: still running on bpn2 after the run ended: ${left:-nothing}"
mn_kill_host bpn2
mn_uncut bpn2 # (for SLURM: its slurmd, spared, reports again)
rc=0
"${mpirun[@]}" -np 3 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$out" -n "${splits[@]}" \
  --records-per-shard "$rps" "${opts[@]}" --resume >"$tmp/resume.log" 2>&1 || rc=$?
if [[ $rc -eq 0 ]]; then
  pass "$mode: --resume on bpn1 alone: exit 0 ($(grep -o 'resuming: .*' "$tmp/resume.log" | head -n 1))"
  same_output "$tmp/ref" "$out" "$mode: cut, then resumed"
  check_output "$out" "$mode: cut, then resumed"
else
  fail "$mode: --resume on bpn1: exit status $rc"
  tail -n 20 "$tmp/resume.log" | sed 's/^/    | /' >&2
fi

echo "test_link_cut $mode: $((SECONDS - t0)) s with the hosts up"
finish
