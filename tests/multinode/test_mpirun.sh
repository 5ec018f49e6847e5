#!/usr/bin/env bash
# mpirun across two hosts (network namespaces joined by a bridge, see
# lib.sh), with --mca btl self,tcp: no shared memory between any ranks.
#  - hostname on 4 ranks: two ranks on each host;
#  - ben-prep on 4 ranks (2 per host): exit 0, the ranks on both hosts
#    converted shards, the output byte-identical to a one-host run (shards;
#    the manifest but for its "run" object) and verified;
#  - ben-prep verify on 4 ranks across the hosts: exit 0.
#
#   test_mpirun.sh    environment: see ../slurm/common.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm/common.sh
source "$here/../slurm/common.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"
mn_require

tmp=$(mktemp -d)
mn_start "$tmp" "${BENPREP_SLURM_LIMIT:-150}"
t0=$SECONDS

# ---- the ranks' hosts ------------------------------------------------------------
if on_host bpn1 "${mn_mpirun[@]}" -np 4 hostname >"$tmp/hostnames" 2>&1 &&
  [[ $(sort "$tmp/hostnames" | tr '\n' ' ') == "bpn1 bpn1 bpn2 bpn2 " ]]; then
  pass "mpirun -np 4 hostname across the hosts (btl self,tcp): 2 ranks on bpn1, 2 on bpn2"
else
  fail "mpirun -np 4 hostname: not 2 ranks on each host"
  sed 's/^/    | /' "$tmp/hostnames" >&2
fi

# ---- the conversion ---------------------------------------------------------------
mn_reference "$tmp"

bin=$tmp/ben-prep-hosts
ranks_bin "$bin"
out=$tmp/out
rc=0
on_host bpn1 "${mn_mpirun[@]}" -np 4 "$bin" -r1 "$s1" -r2 "$s2" -o "$out" \
  -n "${splits[@]}" --records-per-shard "$rps" -v >"$tmp/convert.log" 2>&1 || rc=$?
if [[ $rc -eq 0 ]]; then
  ranks_on_both_hosts "$bin" "$tmp/convert.log" "mpirun across the hosts"
  same_output "$tmp/ref" "$out" "mpirun across the hosts"
  check_output "$out" "mpirun across the hosts"
else
  fail "mpirun across the hosts: exit status $rc"
  tail -n 20 "$tmp/convert.log" | sed 's/^/    | /' >&2
fi

# ---- verify across the hosts --------------------------------------------------------
if have_verify; then
  rc=0
  on_host bpn1 "${mn_mpirun[@]}" -np 4 "$BEN_PREP" verify "$out" >"$tmp/verify2.log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]] && grep -q "verify: OK" "$tmp/verify2.log"; then
    pass "ben-prep verify on 4 ranks across the hosts: exit 0"
  else
    fail "ben-prep verify across the hosts: exit status $rc"
    tail -n 20 "$tmp/verify2.log" | sed 's/^/    | /' >&2
  fi
fi

echo "test_mpirun: $((SECONDS - t0)) s with the hosts up"
finish
