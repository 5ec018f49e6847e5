#!/bin/bash
# Run a command on one of the test hosts of tests/multinode (see lib.sh):
# in the host's network namespace, with its own host name (a UTS namespace)
# and the test's hosts file bind-mounted over /etc/hosts (a mount namespace
# of its own, private: nothing is seen outside). Every step execs the next,
# so the process id is the command's.
#
#   on-host.sh HOST COMMAND [ARG...]
#   on-host.sh --rsh HOST WORDS...   for Open MPI's plm_rsh_agent, in place
#                                    of ssh: WORDS are one shell command line
#                                    (run by /bin/sh, as sshd would)
#
# Environment (set by lib.sh's mn_start): BENPREP_MN_ID (the namespaces are
# /run/netns/$BENPREP_MN_ID-HOST), BENPREP_MN_HOSTS (the hosts file).
#
# Not "ip netns exec": it remounts /sys, and slurmd's cgroup start-up then
# fails.
set -eu
: "${BENPREP_MN_ID:?on-host.sh: not inside a multi-node test}" "${BENPREP_MN_HOSTS:?}"
rsh=0
if [[ ${1:-} == --rsh ]]; then
  rsh=1
  shift
fi
host=${1:?usage: on-host.sh [--rsh] HOST COMMAND...}
shift
ns=/run/netns/$BENPREP_MN_ID-$host
if [[ ! -e $ns ]]; then
  echo "on-host.sh: no test host $host ($ns)" >&2
  exit 255 # as ssh does when it cannot connect
fi
if ((rsh)); then set -- /bin/sh -c "$*"; fi
# shellcheck disable=SC2016 # $1 $2 are the inner shell's
exec nsenter --net="$ns" unshare --uts --mount -- /bin/sh -c \
  'mount --bind "$1" /etc/hosts && hostname "$2" && shift 2 && exec "$@"' \
  on-host "$BENPREP_MN_HOSTS" "$host" "$@"
