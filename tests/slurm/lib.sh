# shellcheck shell=bash
# A private SLURM on this machine for the tests in tests/slurm: munged,
# slurmctld and slurmd from Debian's munge and slurm-wlm packages, run as root
# in the foreground (-F / -D) from a temporary folder with their own key,
# socket, ports, state and spool; one node (this host, at 127.0.0.1) with 4
# CPUs declared on whatever the machine has (SlurmdParameters=config_overrides).
# Nothing of the machine's own configuration (/etc/munge, /etc/slurm, systemd)
# is used or changed.
#
#   source lib.sh
#   slurm_require            exit 77 (skip) with the reason when it cannot run
#   slurm_start DIR LIMIT    start the daemons in DIR/slurm; exports SLURM_CONF.
#                            From then on the EXIT trap (slurm_stop) ends the
#                            jobs (only once our slurmctld was started, and
#                            always with SLURM_CONF naming our configuration:
#                            never a real cluster's controller), then exactly
#                            the daemons started here, by
#                            their process ids, and any process left over from
#                            them (found by a marker in its environment), and
#                            removes DIR (kept with BENPREP_SLURM_KEEP=1). After
#                            LIMIT seconds the test stops itself (so that a
#                            hung job cannot outlive ctest's timeout).
#
# slurm_start is made of pieces that tests/multinode uses for a SLURM of
# several nodes, each daemon started through a launcher (a command that
# enters a network namespace and execs the daemon): slurm_init,
# slurm_start_munge, slurm_write_conf, slurm_start_ctld, slurm_start_slurmd,
# slurm_ready, slurm_watchdog; and slurm_stop is slurm_cleanup, then
# slurm_remove.
#
# Needs: root; Debian packages slurm-wlm (slurmctld, slurmd, slurm-client,
# slurm-wlm-basic-plugins with mpi_pmix.so), munge and libpmix-dev. As root,
# missing ones are installed with apt-get.

# libpmix-dev: SLURM's mpi_pmix plugin dlopen()s the unversioned libpmix.so,
# which only the -dev package has (libopenmpi-dev depends on it anyway).
slurm_packages=(slurm-wlm munge libpmix-dev)
slurm_root=
slurm_dir=
slurm_nodes=()
slurm_pids=()
slurm_conf=       # our slurm.conf, set once written
slurm_ctld_pid=   # our slurmctld, set once started
slurm_watchdog=
slurm_marker=

slurm_log() { printf 'slurm-test: %s\n' "$*" >&2; }
slurm_skip() {
  echo "SKIP: $*"
  exit 77
}

# The pmix plugin of SLURM, or nothing.
slurm_pmix_plugin() {
  local d
  for d in /usr/lib/x86_64-linux-gnu/slurm-wlm /usr/lib/*/slurm-wlm /usr/lib/slurm-wlm /usr/lib64/slurm /usr/lib/slurm; do
    if [[ -e $d/mpi_pmix.so ]]; then
      echo "$d/mpi_pmix.so"
      return 0
    fi
  done
  return 1
}

slurm_have_all() {
  local c
  for c in munged mungekey munge slurmctld slurmd sbatch srun scontrol sinfo squeue scancel; do
    command -v "$c" >/dev/null 2>&1 || return 1
  done
  slurm_pmix_plugin >/dev/null && ldconfig -p 2>/dev/null | grep 'libpmix\.so ' >/dev/null
}

# Skip (exit 77) unless this can run: root, the packages (installed here when
# missing and possible).
slurm_require() {
  case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac
  if [[ $(id -u) -ne 0 ]]; then
    slurm_skip "the SLURM tests start munged, slurmctld and slurmd as root (slurmd must be root to start jobs); run them as root"
  fi
  if ! slurm_have_all; then
    slurm_log "installing Debian packages: ${slurm_packages[*]}"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${slurm_packages[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${slurm_packages[@]}" >/dev/null 2>&1; }; }; then
      slurm_skip "Debian packages ${slurm_packages[*]} are missing and could not be installed (apt-get install ${slurm_packages[*]})"
    fi
    slurm_have_all || slurm_skip "after installing ${slurm_packages[*]}: munged, slurmctld, slurmd, sbatch, srun, SLURM's mpi_pmix.so plugin or libpmix.so still missing"
  fi
  getent hosts "$(hostname)" >/dev/null ||
    slurm_skip "this host's name $(hostname) does not resolve (srun needs it): add it to /etc/hosts"
}

# A free TCP port on this machine, from a random start.
slurm_free_port() {
  local p tries
  for ((tries = 0; tries < 200; tries++)); do
    p=$((20000 + (RANDOM % 20000)))
    if [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# until SECONDS WHAT COMMAND...: run COMMAND every 0.2 s until it succeeds.
slurm_until() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start > limit)); then
      slurm_log "timed out after ${limit}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

slurm_alive() { # daemons were started here, and every one still runs
  local p
  ((${#slurm_pids[@]})) || return 1
  for p in "${slurm_pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}

slurm_nodes_idle() { # every node of slurm_nodes
  local states
  states=$(sinfo -h -N -o %T 2>/dev/null | sort | uniq -c | awk '{print $1, $2}')
  [[ $states == "${#slurm_nodes[@]} idle" ]]
}

slurm_show_logs() {
  local f
  for f in "$slurm_dir"/log/*.log "$slurm_dir"/*.out; do
    [[ -s $f ]] || continue
    echo "---- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
}

# slurm_init DIR: the test's folder (DIR/slurm for the daemons), the marker
# in the environment of everything the test starts, the traps (EXIT:
# slurm_stop).
slurm_init() {
  slurm_root=$1
  slurm_dir=$1/slurm
  mkdir -p "$slurm_dir"/{munge,state,log}
  # munged wants every folder above its socket searchable by all.
  chmod 755 "$slurm_root" "$slurm_dir" "$slurm_dir/munge"
  slurm_marker="BENPREP_SLURM_TEST=$slurm_dir"
  export "${slurm_marker?}"
  trap slurm_stop EXIT
  trap 'slurm_log "stopped by a signal"; exit 1' TERM INT HUP
}

# slurm_start_munge: our munged, with its own key and socket.
slurm_start_munge() {
  mungekey -c -k "$slurm_dir/munge/munge.key" >/dev/null
  munged -F --key-file="$slurm_dir/munge/munge.key" \
    --socket="$slurm_dir/munge/munge.sock" \
    --pid-file="$slurm_dir/munge/munged.pid" \
    --seed-file="$slurm_dir/munge/munged.seed" \
    --log-file="$slurm_dir/log/munged.log" >"$slurm_dir/munged.out" 2>&1 &
  slurm_pids+=($!)
  slurm_until 30 "munged" bash -c "munge -S '$slurm_dir/munge/munge.sock' -n | unmunge -S '$slurm_dir/munge/munge.sock'" ||
    { slurm_show_logs; return 1; }
}

# slurm_write_conf CTLD_NAME CTLD_ADDR CTLD_PORT SLURMD_PORT NODE=ADDR...:
# our slurm.conf (exports SLURM_CONF), one partition of the nodes, each with
# its own spool, pid file, log and TmpFS folder (%n: the node's name).
slurm_write_conf() {
  local name=$1 addr=$2 ctld_port=$3 slurmd_port=$4 n nodes=()
  shift 4
  slurm_nodes=()
  for n in "$@"; do
    slurm_nodes+=("${n%%=*}")
    mkdir -p "$slurm_dir/spool-${n%%=*}" "$slurm_dir/tmp-${n%%=*}"
    nodes+=("NodeName=${n%%=*} NodeAddr=${n#*=} CPUs=4 RealMemory=2000 State=UNKNOWN")
  done
  # cred_expire: a requeued job may start cred_expire + 1 s after the
  # requeue (default 120 s). MinJobAge: how long a finished job stays known,
  # for sbatch --wait (which polls every 2, then 8 s). sched_interval: the
  # scheduler looks at pending jobs every second.
  cat >"$slurm_dir/slurm.conf" <<EOF
# generated by tests/slurm/lib.sh for one test run
ClusterName=benpreptest
SlurmctldHost=$name($addr)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$slurm_dir/munge/munge.sock,cred_expire=5
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool-%n
SlurmctldPidFile=$slurm_dir/slurmctld.pid
SlurmdPidFile=$slurm_dir/slurmd-%n.pid
SlurmctldLogFile=$slurm_dir/log/slurmctld.log
SlurmdLogFile=$slurm_dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$slurm_dir/plugstack.conf
TmpFS=$slurm_dir/tmp-%n
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
JobRequeue=1
KillWait=10
MinJobAge=10
$(printf '%s\n' "${nodes[@]}")
PartitionName=test Nodes=$(IFS=,; echo "${slurm_nodes[*]}") Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$slurm_dir/plugstack.conf"
  slurm_conf=$slurm_dir/slurm.conf
  export SLURM_CONF=$slurm_conf
}

# slurm_start_ctld [LAUNCHER...]: slurmctld (started through LAUNCHER, a
# command that runs its arguments somewhere else, e.g. in a namespace,
# by exec: the process id stays slurmctld's).
# shellcheck disable=SC2120 # only tests/multinode passes a launcher
slurm_start_ctld() {
  "$@" slurmctld -D -c -i -f "$slurm_conf" >"$slurm_dir/slurmctld.out" 2>&1 &
  slurm_ctld_pid=$!
  slurm_pids+=("$slurm_ctld_pid")
  slurm_until 60 "slurmctld to answer" bash -c 'scontrol ping | grep -q UP' ||
    { slurm_show_logs; return 1; }
}

# slurm_start_slurmd NODE [LAUNCHER...]: the slurmd of NODE.
slurm_start_slurmd() {
  local node=$1
  shift
  "$@" slurmd -D -N "$node" -f "$slurm_conf" >"$slurm_dir/slurmd-$node.out" 2>&1 &
  slurm_pids+=($!)
}

# slurm_ready: every node idle, every daemon running.
slurm_ready() {
  slurm_until 60 "nodes ${slurm_nodes[*]} to be idle" slurm_nodes_idle ||
    { sinfo >&2; slurm_show_logs; return 1; }
  slurm_alive || { slurm_log "a daemon died"; slurm_show_logs; return 1; }
}

# slurm_watchdog LIMIT: after LIMIT seconds, SIGTERM to this shell and to its
# children but the daemons (sbatch --wait...); the EXIT trap cleans up.
slurm_watchdog() {
  (
    trap 'exit 0' TERM
    sleep "$1" &
    wait $!
    echo "slurm-test: FAIL: still running after ${1}s: stopping" >&2
    for p in $(pgrep -P "$$"); do
      [[ $p == "$BASHPID" || " ${slurm_pids[*]} " == *" $p "* ]] || kill -TERM "$p"
    done
    kill -TERM "$$"
  ) &
  slurm_watchdog=$!
}

# slurm_start DIR LIMIT
slurm_start() {
  local node ctld_port slurmd_port
  slurm_init "$1"
  node=$(hostname -s)
  if ! ctld_port=$(slurm_free_port) || ! slurmd_port=$(slurm_free_port); then
    slurm_log "no free TCP port"
    return 1
  fi
  [[ $ctld_port != "$slurmd_port" ]] || slurmd_port=$((ctld_port + 1))
  slurm_start_munge || return 1
  slurm_write_conf "$node" 127.0.0.1 "$ctld_port" "$slurmd_port" "$node=127.0.0.1"
  slurm_start_ctld || return 1
  slurm_start_slurmd "$node"
  slurm_ready || return 1
  slurm_watchdog "$2"
  slurm_log "SLURM $(sinfo -V | awk '{print $2}') up: node $node, ports $ctld_port/$slurmd_port, daemons ${slurm_pids[*]}, $SLURM_CONF"
}

# Processes left over from this run's daemons and jobs: slurmstepd (it has
# the node's log in DIR open) and the job scripts and ranks (the marker is in
# their environment); never the daemons or this shell.
slurm_leftovers() {
  local f p
  [[ -n $slurm_marker ]] || return 0
  for p in $(pgrep -x slurmstepd); do
    find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -lname "$slurm_dir/*" 2>/dev/null | grep . >/dev/null && echo "$p"
  done
  # one grep over every environment (NUL-separated; the grep itself without
  # the marker)
  for f in $(env -u "${slurm_marker%%=*}" grep -l -a -s -z -x -F "$slurm_marker" /proc/[0-9]*/environ); do
    p=${f#/proc/}
    p=${p%/environ}
    [[ $p != "$$" && $p != "$BASHPID" ]] || continue
    [[ " ${slurm_pids[*]} " != *" $p "* ]] || continue
    [[ $(cat "/proc/$p/comm" 2>/dev/null) != slurmstepd ]] || continue # seen above
    echo "$p"
  done
  return 0
}

# slurm_cleanup STATUS: stop the watchdog, show the logs after a failure, end
# the jobs, the daemons and what is left of them (no exit, nothing removed).
slurm_cleanup() {
  local status=$1 p i n left
  if [[ -n $slurm_watchdog ]]; then
    pkill -TERM -P "$slurm_watchdog" 2>/dev/null # its sleep
    kill -TERM "$slurm_watchdog" 2>/dev/null
    wait "$slurm_watchdog" 2>/dev/null
  fi
  if [[ $status -ne 0 && $status -ne 77 && -n $slurm_dir ]]; then
    slurm_show_logs
  fi
  # End every job first (slurmstepd outlives slurmd), but only on our own
  # controller: never before our slurmctld was started (SLURM_CONF might
  # still be unset or the machine's, naming a real cluster), and always with
  # SLURM_CONF naming our configuration, whatever the test did to it.
  if [[ -n $slurm_conf && -f $slurm_conf && -n $slurm_ctld_pid ]] &&
    kill -0 "$slurm_ctld_pid" 2>/dev/null && slurm_alive; then
    SLURM_CONF=$slurm_conf scancel --full --signal=KILL --user=root >/dev/null 2>&1
    SLURM_CONF=$slurm_conf scancel --user=root >/dev/null 2>&1
    for ((i = 0; i < 100; i++)); do
      [[ -z $(SLURM_CONF=$slurm_conf squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  for ((i = ${#slurm_pids[@]} - 1; i >= 0; i--)); do # slurmd, slurmctld, munged
    p=${slurm_pids[i]}
    kill -TERM "$p" 2>/dev/null || continue
    for ((n = 0; n < 50; n++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$p" 2>/dev/null; then
      slurm_log "daemon $p did not stop on SIGTERM: SIGKILL"
      kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
  done
  left=$(slurm_leftovers)
  if [[ -n $left ]]; then
    slurm_log "killing processes left over from the test's SLURM: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
  fi
  slurm_pids=()
}

# slurm_remove: remove the test's folder (kept with BENPREP_SLURM_KEEP=1).
slurm_remove() {
  if [[ ${BENPREP_SLURM_KEEP:-0} == 1 ]]; then
    slurm_log "kept $slurm_root"
  elif [[ -n $slurm_root ]]; then
    rm -rf "$slurm_root"
  fi
}

# The EXIT trap.
slurm_stop() {
  local status=$?
  trap - EXIT
  set +e
  slurm_cleanup "$status"
  slurm_remove
  exit "$status"
}
