# shellcheck shell=bash
# Two test hosts on this machine for the tests in tests/multinode, each in a
# network namespace of its own, joined by a bridge: MPI and SLURM run across
# them over TCP as across two nodes (shared memory cannot join them). The
# file system is the machine's: the "shared file system" of the two nodes.
#
#   namespace $id-bpctl  the switch: bridge br0 with 10.213.7.1/24; host name
#                        bpctl (SLURM's controller runs here)
#   namespace $id-bpn1   host bpn1: eth0 10.213.7.11/24, a veth pair whose
#                        other end (v-bpn1) is a port of br0
#   namespace $id-bpn2   host bpn2: eth0 10.213.7.12/24, the same with v-bpn2
#
# ($id: bpmn<pid of the test>.) The links are made inside the namespaces:
# nothing appears in the machine's own network namespace, and the private
# test subnet 10.213.7.0/24 is used only inside them. Commands run on a host
# through on-host.sh (its own host name, a private /etc/hosts naming the
# three hosts); mpirun reaches the other host through on-host.sh --rsh
# instead of ssh (plm_rsh_agent).
#
#   source ../slurm/common.sh; source lib.sh (it sources ../slurm/lib.sh)
#   mn_require             exit 77 (skip) with the reason when it cannot run
#   mn_start DIR LIMIT     the namespaces, bridge, links, addresses, hosts
#                          file and hostfile, as slurm_init DIR (marker in
#                          the environment of everything started; DIR/slurm)
#                          and the watchdog (LIMIT seconds). The EXIT trap
#                          (mn_stop) ends SLURM if started (slurm_cleanup),
#                          then every process inside the namespaces (by
#                          their ids: ip netns pids), deletes the namespaces
#                          (and with them the bridge and links; and
#                          /run/netns if it made it) and removes DIR (kept
#                          with BENPREP_SLURM_KEEP=1), even when the test
#                          fails.
#   on_host HOST CMD...    run CMD on HOST (bpctl, bpn1, bpn2)
#   mn_mpirun              array: mpirun across both hosts, 2 slots each,
#                          TCP only; run it on bpn1: on_host bpn1 "${mn_mpirun[@]}" -np 4 ...
#   mn_reference DIR       the archive and the one-host run (see below)
#   mn_slurm               a SLURM of two nodes: slurmctld on bpctl, one
#                          slurmd on each host (slurmd -N), munged with its
#                          own key and socket; SLURM's commands in PATH reach it
#   mn_cut HOST            cut HOST's link: its port on the bridge goes down
#   mn_uncut HOST          plug it in again
#   mn_kill_host HOST      end every process on HOST but SLURM's daemons
#
# Needs root, iproute2 (ip), util-linux (nsenter, unshare, mount).

mn_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm/lib.sh
source "$mn_here/../slurm/lib.sh"
mn_subnet=10.213.7 # a /24, private to the test's namespaces
mn_hosts=(bpn1 bpn2)
mn_ctl=bpctl
mn_id=
mn_dir=
mn_made=() # namespaces made here
mn_made_netns_dir=0 # 1: /run/netns was made here (by ip netns add)
mn_mpirun=()

mn_log() { printf 'multinode-test: %s\n' "$*" >&2; }

# mn_require: root, ip, nsenter, unshare; a namespace with a bridge and a
# veth pair can be made (and is removed again at once).
mn_require() {
  local c probe=bpmnprobe$$ out
  [[ -e /run/netns ]] || mn_made_netns_dir=1
  case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac
  if [[ $(id -u) -ne 0 ]]; then
    slurm_skip "the multi-node tests make network namespaces, a bridge and veth links: run them as root"
  fi
  for c in ip nsenter unshare mount hostname; do
    command -v "$c" >/dev/null 2>&1 ||
      slurm_skip "$c is missing (Debian packages iproute2, util-linux, mount, hostname)"
  done
  if ! out=$({ ip netns add "$probe" &&
    ip -n "$probe" link add br0 type bridge &&
    ip -n "$probe" link add v0 type veth peer name v1 &&
    nsenter --net="/run/netns/$probe" unshare --uts --mount -- true; } 2>&1); then
    ip netns del "$probe" 2>/dev/null
    mn_netns_dir_remove
    slurm_skip "cannot make a network namespace with a bridge and a veth pair here: $out"
  fi
  ip netns del "$probe"
}

# mn_netns_dir_remove: /run/netns (ip netns add makes it, a mount of itself)
# goes again when this test made it and it is empty.
mn_netns_dir_remove() {
  ((mn_made_netns_dir)) && [[ -d /run/netns && -z $(ls -A /run/netns) ]] || return 0
  umount /run/netns 2>/dev/null
  rmdir /run/netns 2>/dev/null || true
}

mn_on_host=$mn_here/on-host.sh
on_host() { "$mn_on_host" "$@"; }

# mn_ns HOST: the namespace of HOST
mn_ns() { echo "$mn_id-$1"; }

# mn_start DIR LIMIT
mn_start() {
  local h c i=11 ns
  slurm_init "$1"
  trap mn_stop EXIT
  mn_dir=$1/multinode
  mn_id=bpmn$$
  mkdir -p "$mn_dir/bin"
  export BENPREP_MN_ID=$mn_id BENPREP_MN_HOSTS=$mn_dir/hosts BENPREP_MN_CTL=$mn_ctl
  printf '127.0.0.1 localhost\n%s.1 %s\n' "$mn_subnet" "$mn_ctl" >"$BENPREP_MN_HOSTS"
  : >"$mn_dir/hostfile"

  ns=$(mn_ns "$mn_ctl")
  ip netns add "$ns" || return 1
  mn_made+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$ns" link add br0 type bridge
  ip -n "$ns" addr add "$mn_subnet.1/24" dev br0
  ip -n "$ns" link set br0 up
  for h in "${mn_hosts[@]}"; do
    ip netns add "$(mn_ns "$h")" || return 1
    mn_made+=("$(mn_ns "$h")")
    ip -n "$ns" link add "v-$h" type veth peer name eth0 netns "$(mn_ns "$h")"
    ip -n "$ns" link set "v-$h" master br0 up
    ip -n "$(mn_ns "$h")" link set lo up
    ip -n "$(mn_ns "$h")" addr add "$mn_subnet.$i/24" dev eth0
    ip -n "$(mn_ns "$h")" link set eth0 up
    printf '%s.%s %s\n' "$mn_subnet" "$i" "$h" >>"$BENPREP_MN_HOSTS"
    printf '%s slots=2\n' "$h" >>"$mn_dir/hostfile"
    i=$((i + 1))
  done
  # SLURM's commands, run from here, reach the controller on its host.
  for c in sbatch squeue scontrol scancel sinfo srun; do
    ln -s "$mn_here/slurm-client.sh" "$mn_dir/bin/$c"
  done
  PATH=$mn_dir/bin:$PATH
  read -r -a mn_mpirun <<<"${MPIRUN:-mpirun}"
  # shellcheck disable=SC2054 # self,tcp is one word
  mn_mpirun+=(--hostfile "$mn_dir/hostfile" --mca plm_rsh_agent "$mn_on_host --rsh"
    --mca btl self,tcp --mca btl_tcp_if_include "$mn_subnet.0/24"
    --mca oob_tcp_if_include "$mn_subnet.0/24")
  slurm_watchdog "$2"
  mn_log "hosts up: ${mn_hosts[*]} and $mn_ctl in namespaces ${mn_made[*]}, subnet $mn_subnet.0/24"
}

# mn_slurm: SLURM on the hosts. Fixed ports (each daemon has an address of
# its own; the one-node SLURM test takes free ports from 20000-39999).
mn_slurm() {
  local h nodes=()
  for h in "${mn_hosts[@]}"; do
    nodes+=("$h=$(awk -v h="$h" '$2 == h {print $1}' "$BENPREP_MN_HOSTS")")
  done
  slurm_start_munge || return 1
  slurm_write_conf "$mn_ctl" "$mn_subnet.1" 16817 16818 "${nodes[@]}"
  # (on-host.sh execs the daemon: slurm_pids are the daemons' ids)
  slurm_start_ctld "$mn_on_host" "$mn_ctl" || return 1
  for h in "${mn_hosts[@]}"; do
    slurm_start_slurmd "$h" "$mn_on_host" "$h"
  done
  slurm_ready || return 1
  mn_log "SLURM $(sinfo -V | awk '{print $2}') up: controller on $mn_ctl, nodes ${slurm_nodes[*]}, daemons ${slurm_pids[*]}, $SLURM_CONF"
}

# mn_reference DIR [OPTION...]: the generated archive in DIR/archive
# (common.sh's make_archive) and the one-host run in DIR/ref: common.sh's
# reference, with these options, on bpn1 alone. From then on common.sh's
# mpirun (also check_output's verify) runs on bpn1.
mn_reference() {
  make_archive "$1/archive"
  mpirun=("$mn_on_host" bpn1 "${mpirun[@]}")
  reference "$1/ref" "${@:2}"
  echo "reference: $(find "$1/ref" -name '*.tfrecord' | wc -l) shards on 3 ranks, one host"
}

# ranks_bin FILE: a BEN_BIN that notes each rank's host in FILE.d/rank<N>,
# then execs ben-prep.
ranks_bin() {
  mkdir -p "$1.d"
  cat >"$1" <<EOF
#!/bin/bash
rank=\${OMPI_COMM_WORLD_RANK:-\${PMIX_RANK:-}}
[[ -z \$rank ]] || hostname >"$1.d/rank\$rank"
exec "$BEN_PREP" "\$@"
EOF
  chmod +x "$1"
}

# ranks_on_both_hosts FILE LOG WHAT: ranks 0 and 1 ran on bpn1, 2 and 3 on
# bpn2 (ranks_bin FILE); with LOG (ben-prep -v), the ranks on bpn2
# converted shards.
ranks_on_both_hosts() {
  local f=$1 log=$2 what=$3 r hosts='' n=0 converted=
  for r in 0 1 2 3; do hosts+="$r=$(cat "$f.d/rank$r" 2>/dev/null) "; done
  if [[ $hosts != "0=bpn1 1=bpn1 2=bpn2 3=bpn2 " ]]; then
    fail "$what: ranks on hosts $hosts(expected 0=bpn1 1=bpn1 2=bpn2 3=bpn2)"
    return 0
  fi
  if [[ -n $log ]]; then
    n=$(grep -cE '^ben-prep\[[23]\]: debug: converting ' "$log" || true)
    if ((n == 0)); then
      fail "$what: ranks 0, 1 on bpn1 and 2, 3 on bpn2, but the ranks on bpn2 converted no shard"
      return 0
    fi
  fi
  [[ -z $log ]] || converted="; the ranks on bpn2 converted $n shards"
  pass "$what: ranks 0, 1 ran on bpn1 and 2, 3 on bpn2$converted"
}

# mn_cut HOST: HOST's cable pulled at the switch: its veth's end on the
# bridge goes down (HOST's own eth0 loses its carrier, its address stays).
mn_cut() { ip -n "$(mn_ns "$mn_ctl")" link set "v-$1" down; }
mn_uncut() { ip -n "$(mn_ns "$mn_ctl")" link set "v-$1" up; }

# mn_kill SPARE [NAMESPACE...]: end every process inside these namespaces
# (default: all made here) but those in SPARE (blank-separated ids): SIGTERM,
# then SIGKILL after 5 s.
mn_kill() {
  local spare=" $1 " ns p pids i nss=("${@:2}")
  ((${#nss[@]})) || nss=("${mn_made[@]}")
  for ((i = 0; i < 26; i++)); do
    pids=()
    for ns in "${nss[@]}"; do
      for p in $(ip netns pids "$ns" 2>/dev/null); do
        [[ $spare == *" $p "* ]] || pids+=("$p")
      done
    done
    ((${#pids[@]})) || return 0
    if ((i == 0)); then
      kill -TERM "${pids[@]}" 2>/dev/null
    elif ((i == 25)); then
      mn_log "still running after SIGTERM: ${pids[*]}: SIGKILL"
      kill -KILL "${pids[@]}" 2>/dev/null
    fi
    sleep 0.2
  done
}
# mn_kill_host HOST: every process on HOST but SLURM's daemons
mn_kill_host() { mn_kill "${slurm_pids[*]}" "$(mn_ns "$1")"; }

# The EXIT trap: SLURM's jobs and daemons (while the controller can still be
# reached), every process left in the namespaces, the namespaces, DIR.
mn_stop() {
  local status=$? ns left
  trap - EXIT
  set +e
  slurm_cleanup "$status"
  if ((${#mn_made[@]})); then
    left=$(for ns in "${mn_made[@]}"; do ip netns pids "$ns"; done 2>/dev/null | tr '\n' ' ')
    [[ -z ${left// /} ]] || mn_log "ending processes left on the test hosts: $left"
    mn_kill ""
    for ns in "${mn_made[@]}"; do
      ip netns del "$ns" || mn_log "could not delete namespace $ns"
    done
    mn_made=()
  fi
  mn_netns_dir_remove
  slurm_remove
  exit "$status"
}
