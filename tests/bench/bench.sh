#!/usr/bin/env bash
# The ben-prep benchmark: on a generated archive of N patch pairs,
# warm page cache, it measures side by side
#   - the plain-GDAL read floor (bp-gdal-floor: GDALOpen + GDALRasterIO of the
#     14 band files of every pair, nothing else),
#   - the plain I/O floor (bp-io-floor: open/fstat/read/close of the 15
#     files per pair the converter reads, the bytes written out in 8 MiB
#     writes, one fsynced file per chunk), in one process and in two at once
#     (--part 0/2 and 1/2, the chunks as two workers share them),
#   - the converter with one worker (mpirun -np 2) and two workers (-np 3),
# alternating, R repetitions each, medians of the wall time; where the worker's
# CPU time goes (perf record, when perf works: read and other system calls,
# decoding, encoding, writing); then system calls
# per input file (strace -c -f on one worker rank), peak resident memory of
# each rank (N = 500 and N = 4000, and rank 0 on a --dry-run of the official
# 519,284-row splits) and rank 0's CPU share during the two-worker run.
# Writes every figure as one JSON object and prints a table with each target
# and PASS/FAIL, then the missed targets. A target's "measured" value in the
# JSON is the figure its PASS/FAIL is judged on (speed: conversion rates by
# the programs' own clocks; rank 0's CPU: its own account over the
# conversion); the wall-clock and whole-process figures are beside it
# ("wall_clock_measured", "whole_process_measured").
# Exit status: 0 when the runs worked, even if a target is missed (the
# figures are the output), unless BENCH_STRICT=1: then 1 when a target is
# missed (a target not measured, for want of strace or GNU time, is not
# missed); 1 when a run failed; 2 on a usage error.
#
#   bench.sh [-n N] [-r R] [-d WORK_DIR] [-o JSON] [--mem-sizes "500 4000"]
#
# Environment (set by CTest, see tests/bench/CMakeLists.txt; the options
# above win over it):
#   BEN_PREP, BEN_SYNTH, BP_GDAL_FLOOR, BP_IO_FLOOR   the programs
#   MPIRUN          launcher and its flags ("mpirun --oversubscribe ...")
#   SHARED          the shared reference data (default <project>/../shared/data)
#   BENCH_BUILD_DIR the build folder (default work folder: BENCH_BUILD_DIR/bench)
#   BENCH_N (2000), BENCH_R (5), BENCH_DIR, BENCH_JSON (WORK_DIR/bench.json),
#   BENCH_MEM_SIZES ("500 4000"), BENCH_RPS (records per shard, 50),
#   BENCH_SEED (1), BENCH_COMPRESSION (the converter's compression option and
#   value, e.g. "--compression zlib"; used only if ben-prep --help lists
#   --compression).
#   BENCH_STRICT    1: exit 1 when a target is missed; 0 or unset: exit 0
#                   (the CTest test bench_convert sets 1 unless the
#                   environment says otherwise; scripts/bench.sh sets 0).
# Generated archives are kept in WORK_DIR/archive-N (keyed by N) between runs.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)

# The only constants: the targets and the Python reference anchor
# of ../shared/docs/USERS.md ("Measured anchors": about 45 patches/s per core).
PYTHON_REF_PPS=45
T_FLOOR_RATIO=1.3        # one worker / GDAL floor >=
T_PYTHON_RATIO=30        # one worker / Python reference >=
T_SYSCALLS=5             # converter system calls per input file <=
T_SCALING=1.8            # two workers / one worker >=
T_WORKER_MB=64           # worker peak RSS <= (MB), at every N
T_WORKER_GROWTH=10       # worker peak RSS growth from smallest to largest N <= (%)
T_RANK0_MB=256           # rank 0 peak RSS on --dry-run of the official splits <= (MB)
T_RANK0_CPU=10           # rank 0 CPU share in the two-worker run < (%)

die() { echo "bench: $*" >&2; exit 1; }
usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

N=${BENCH_N:-2000}
R=${BENCH_R:-5}
work=${BENCH_DIR:-}
json=${BENCH_JSON:-}
mem_sizes=${BENCH_MEM_SIZES:-500 4000}
# Shards of 50 records: with N = 2000 that is 40 chunks, so the two workers
# finish together (chunks of 200 leave one idle for up to half a chunk at the
# end, a tenth of a run this short).
rps=${BENCH_RPS:-50}
seed=${BENCH_SEED:-1}
strict=${BENCH_STRICT:-0}
while (($#)); do
  case $1 in
    -n) N=${2:?}; shift 2 ;;
    -r) R=${2:?}; shift 2 ;;
    -d) work=${2:?}; shift 2 ;;
    -o) json=${2:?}; shift 2 ;;
    --mem-sizes) mem_sizes=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "bench: unknown argument: $1" >&2; usage ;;
  esac
done
[[ $N =~ ^[1-9][0-9]*$ && $R =~ ^[1-9][0-9]*$ && $rps =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench: N, R and BENCH_RPS must be positive integers" >&2; exit 2; }
for m in $mem_sizes; do
  [[ $m =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad memory size: $m" >&2; exit 2; }
done
[[ $strict == 0 || $strict == 1 ]] ||
  { echo "bench: BENCH_STRICT must be 0 or 1, not '$strict'" >&2; exit 2; }

build=${BENCH_BUILD_DIR:-$project/build-bench}
BEN_PREP=${BEN_PREP:-$build/ben-prep}
BEN_SYNTH=${BEN_SYNTH:-$build/ben-synth}
BP_GDAL_FLOOR=${BP_GDAL_FLOOR:-$build/tests/bench/bp-gdal-floor}
BP_IO_FLOOR=${BP_IO_FLOOR:-$build/tests/bench/bp-io-floor}
SHARED=${SHARED:-$project/../shared/data}
for p in "$BEN_PREP" "$BEN_SYNTH" "$BP_GDAL_FLOOR" "$BP_IO_FLOOR"; do
  [[ -x $p ]] || die "not built: $p (configure with -DBENPREP_BENCH=ON and build)"
done
if [[ -n ${MPIRUN:-} ]]; then
  read -r -a mpirun <<<"$MPIRUN"
else
  mpirun=(mpirun --oversubscribe)
  [[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
fi
work=${work:-$build/bench}
mkdir -p "$work"
work=$(cd "$work" && pwd)
json=${json:-$work/bench.json}
table_file=${json%.json}.txt
logs=$work/logs
mkdir -p "$logs"
started_epoch=$(date +%s)

# --- tools: strace and GNU time (installed when root, else sections skipped)
need=()
command -v strace >/dev/null || need+=(strace)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})) && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "bench: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${need[@]}" >/dev/null 2>&1; } ||
    echo "bench: could not install ${need[*]}" >&2
fi
have_strace=0; command -v strace >/dev/null && have_strace=1
have_time=0; [[ -x /usr/bin/time ]] && have_time=1
((have_strace)) || echo "bench: strace missing: system calls not measured (apt-get install strace)" >&2
((have_time)) || echo "bench: /usr/bin/time missing: memory and CPU not measured (apt-get install time)" >&2

# --- shard output on tmpfs when there is room, so the disk is not measured
out_kind=disk
out_root=
if [[ -d /dev/shm && -w /dev/shm && $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
  big=$N
  for m in $mem_sizes; do ((m > big)) && big=$m; done
  free_kb=$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')
  # About 280 KB of records per pair; keep a margin.
  if ((free_kb > big * 400)); then
    out_root=$(mktemp -d /dev/shm/ben-prep-bench.XXXXXX)
    out_kind=tmpfs
  fi
fi
[[ -n $out_root ]] || out_root=$(mktemp -d "$work/out.XXXXXX")
scratch=$(mktemp -d "$work/scratch.XXXXXX")
# shellcheck disable=SC2317
cleanup() { rm -rf "$out_root" "$scratch"; }
trap cleanup EXIT

# --- helpers
now() { date +%s.%N; }
# calc EXPR: awk arithmetic on numbers; "null" when EXPR mentions null.
calc() {
  case "$1" in *null*) echo null; return ;; esac
  awk "BEGIN { x = $1; printf \"%.6f\n\", x }"
}
# ratio A B: A / B, null when either is null or B is 0.
ratio() {
  if [[ $1 == null || $2 == null ]] || awk -v b="$2" 'BEGIN { exit !(b == 0) }'; then
    echo null
  else
    calc "$1 / $2"
  fi
}
median() {
  printf '%s\n' "$@" | awk '$1 != "null" && $1 != ""' | sort -g | awk '
    { a[NR] = $1 }
    END {
      if (NR == 0) { print "null"; exit }
      if (NR % 2) printf "%.6f\n", a[(NR + 1) / 2]
      else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2
    }'
}
# fmt VALUE PRINTF-FORMAT: formatted, or "n/a" for null.
fmt() { if [[ $1 == null ]]; then echo n/a; else awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; fi; }
# check VALUE OP LIMIT: PASS, FAIL, or SKIP (no value).
check() {
  if [[ $1 == null ]]; then echo SKIP; return; fi
  if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
       ok = op == ">=" ? v >= l : op == "<=" ? v <= l : op == "<" ? v < l : 0
       exit !ok }'; then echo PASS; else echo FAIL; fi
}
jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037')"; }
# run LOG CMD...: run, output to LOG; a failed run is tried once more (other
# jobs on a shared machine can upset mpirun), counted in "retries" and shown;
# a second failure stops the benchmark.
retries=0
run() {
  local log=$1; shift
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  if ((rc)); then
    echo "bench: WARNING: run failed (exit status $rc), trying once more: $*" >&2
    tail -n 5 "$log" >&2
    cp "$log" "$log.failed"
    retries=$((retries + 1))
    rc=0
    "$@" >"$log" 2>&1 || rc=$?
  fi
  if ((rc)); then
    echo "bench: FAILED (exit status $rc): $*" >&2
    tail -n 20 "$log" >&2
    die "a run failed (log: $log)"
  fi
}
# Run a command on some MPI ranks under a wrapper: rankwrap MODE DIR WHICH CMD...
# MODE strace (strace -c -f -o DIR/strace.RANK) or time (GNU time -o
# DIR/time.RANK: wall, user, sys seconds and peak RSS in KB); WHICH: a rank or "all".
# shellcheck disable=SC2016
rankwrap='mode=$1 dir=$2 which=$3; shift 3
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${PMI_RANK:-0}}}
if [ "$which" != all ] && [ "$which" != "$rank" ]; then exec "$@"; fi
case $mode in
  strace) exec strace -c -f -o "$dir/strace.$rank" "$@" ;;
  time) exec /usr/bin/time -f "%e %U %S %M" -o "$dir/time.$rank" "$@" ;;
  perf) exec perf record -q -e cpu-clock -F 1999 --call-graph dwarf,16384 \
    -o "$dir/perf.$rank" "$@" ;;
esac'
# time_field FILE N: field N (1 wall, 2 user, 3 sys, 4 KB) of GNU time's last line.
time_field() { tail -n 1 "$1" | awk -v f="$2" '{ print $f }'; }
# strace_total FILE: total system calls of an strace -c summary.
strace_total() {
  awk '/^-+ / { dash++; next } dash == 1 && NF >= 5 { s += $4 } END { print s + 0 }' "$1"
}
strace_top() { # FILE K: the K most frequent calls as JSON objects
  awk '/^-+ / { dash++; next } dash == 1 && NF >= 5 { print $4, $NF }' "$1" |
    sort -k1,1nr | awk -v k="$2" 'NR <= k' |
    awk '{ printf "%s{\"syscall\": \"%s\", \"calls\": %d}", (NR > 1 ? ", " : ""), $2, $1 }'
}

# --- archives: generated once per N, kept; page cache warmed before use
archive_of() { echo "$work/archive-$1"; }
ensure_archive() {
  local n=$1 dir
  dir=$(archive_of "$n")
  if [[ ! -f $dir/.complete ]]; then
    echo "bench: generating a synthetic archive of $n patch pairs in $dir"
    rm -rf "$dir" "$dir.tmp"
    run "$logs/synth-$n.log" "$BEN_SYNTH" -o "$dir.tmp" -n "$n" --seed "$seed" -q
    mv "$dir.tmp" "$dir"
    touch "$dir/.complete"
  fi
}
warm() { find "$(archive_of "$1")" -type f -exec cat {} + >/dev/null; }
# The argument lists, as arrays (paths may hold spaces):
# set_args N [OUT] sets SPLITS (the 3 CSVs), FLOOR (bp-gdal-floor's
# arguments) and CONV (the converter's, writing to OUT).
set_args() {
  local d; d=$(archive_of "$1")
  SPLITS=("$d/splits/train.csv" "$d/splits/val.csv" "$d/splits/test.csv")
  FLOOR=(-r1 "$d/BigEarthNet-S1-v1.0" -r2 "$d/BigEarthNet-v1.0" -n "${SPLITS[@]}")
  CONV=("${FLOOR[@]}" -o "${2:-/nonexistent}" --records-per-shard "$rps")
}
# Machine-wide busy CPU time so far, in seconds (all cores; /proc/stat).
busy_seconds() {
  awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" '
    /^cpu / { b = 0; for (i = 2; i <= 9 && i <= NF; i++) b += $i; printf "%.3f\n", (b - $5 - $6) / hz; exit }' /proc/stat
}
# CHILD_CPU = CPU time of this shell's finished children so far, in seconds.
# `times` must run in this shell (a $(...) subshell starts from zero).
children_seconds() {
  times >"$scratch/times"
  CHILD_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.3f\n", t }' "$scratch/times")
}
sum_sizes() { # DIR... -name PATTERN: total bytes of the matching files
  find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }'
}

ensure_archive "$N"
for m in $mem_sizes; do ensure_archive "$m"; done
arch=$(archive_of "$N")
set_args "$N"
rows=$(cat "${SPLITS[@]}" | grep -c ,)
[[ $rows -eq $N ]] || die "archive $arch has $rows rows, expected $N"
# Bytes read per run: the converter reads the 14 band files and the S1 JSON
# of every pair (15 files), the floor the 14 band files.
tif_bytes=$(sum_sizes "$arch/BigEarthNet-v1.0" "$arch/BigEarthNet-S1-v1.0" -name '*.tif')
s1json_bytes=$(sum_sizes "$arch/BigEarthNet-S1-v1.0" -name '*.json')
conv_in_bytes=$((tif_bytes + s1json_bytes))
echo "bench: warming the page cache ($arch)"
warm "$N"

# --- the converter's optional compression
comp_args=()
prep_help=$("$BEN_PREP" --help 2>&1 || true)
if grep -q -- '--compression' <<<"$prep_help"; then
  if [[ -n ${BENCH_COMPRESSION:-} ]]; then
    read -r -a comp_args <<<"$BENCH_COMPRESSION"
  else
    line=$(grep -A2 -- '--compression' <<<"$prep_help" | tr '[:upper:]' '[:lower:]')
    for c in zlib gzip deflate; do
      if grep -qw "$c" <<<"$line"; then comp_args=(--compression "$c"); break; fi
    done
  fi
  ((${#comp_args[@]})) ||
    echo "bench: ben-prep has --compression but its value is unknown; set BENCH_COMPRESSION" >&2
fi

# --- machine facts
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
cpu_model=${cpu_model:-$(uname -m)}
ncpu=$(nproc 2>/dev/null || echo 1)
kernel=$(uname -sr)
gdal_version=$( (gdal-config --version || gdalinfo --version) 2>/dev/null | head -n 1 || true)
mpi_version=$("${mpirun[0]}" --version 2>/dev/null | head -n 1 || true)
prep_version=$("$BEN_PREP" --version 2>/dev/null | head -n 1 || true)
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
host=$(uname -n)

echo "bench: N=$N pairs, R=$R repetitions, $rps records per shard, shards to $out_root ($out_kind)"
# Is the machine quiet? Busy CPU over 2 s while this script waits.
b0=$(busy_seconds); sleep 2; b1=$(busy_seconds)
idle_busy=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.3f\n", (b - a) / 2 }')
awk -v x="$idle_busy" 'BEGIN { exit !(x > 0.1) }' &&
  echo "bench: note: other processes use $idle_busy cores before the runs: the figures will be noisy" >&2

# --- 1. alternating timed runs: floor, I/O floor in one and two processes,
#        one worker, two workers (+ compression), and the bare launch cost of
#        mpirun (a dry run of the same splits)
configs=(floor io1 io2 w1 w2 launch)
((${#comp_args[@]})) && configs+=(w1z)
# The I/O floor in two processes at once: the wall time is the pair's.
# shellcheck disable=SC2016
io_pair='"$0" "$@" --part 0/2 & p=$!; r=0; "$0" "$@" --part 1/2 || r=$?; wait "$p" || r=1; exit "$r"'
declare -A wall inproc outbytes noise cpus
for c in "${configs[@]}"; do wall[$c]=""; inproc[$c]=""; outbytes[$c]=0; noise[$c]=""; cpus[$c]=""; done
# Noise: the CPU other processes of the machine used during the timed runs
# (machine busy time minus this benchmark's), in cores.
children_seconds
busy0=$(busy_seconds) mine0=$CHILD_CPU timed0=$(now)
k=${#configs[@]}
for ((i = 0; i < R; i++)); do
  for ((j = 0; j < k; j++)); do
    c=${configs[(i + j) % k]}   # rotate the order: no configuration always first
    log=$logs/run-$c-$i.log
    out=$out_root/run
    rm -rf "$out"
    set_args "$N" "$out"
    case $c in
      floor) cmd=("$BP_GDAL_FLOOR" "${FLOOR[@]}" --json) ;;
      io1) mkdir -p "$out"; cmd=("$BP_IO_FLOOR" "${FLOOR[@]}" -o "$out" --records-per-shard "$rps" --json) ;;
      io2) mkdir -p "$out"
        cmd=(bash -c "$io_pair" "$BP_IO_FLOOR" "${FLOOR[@]}" -o "$out" --records-per-shard "$rps" --json) ;;
      w1) cmd=("${mpirun[@]}" -np 2 "$BEN_PREP" "${CONV[@]}") ;;
      w2) cmd=("${mpirun[@]}" -np 3 "$BEN_PREP" "${CONV[@]}") ;;
      w1z) cmd=("${mpirun[@]}" -np 2 "$BEN_PREP" "${CONV[@]}" "${comp_args[@]}") ;;
      launch) cmd=("${mpirun[@]}" -np 2 "$BEN_PREP" --dry-run -q -n "${SPLITS[@]}") ;;
    esac
    children_seconds
    rb0=$(busy_seconds) rc0=$CHILD_CPU t0=$(now)
    run "$log" "${cmd[@]}"
    t1=$(now)
    children_seconds
    rn=$(awk -v b0="$rb0" -v b1="$(busy_seconds)" -v m0="$rc0" -v m1="$CHILD_CPU" -v t0="$t0" -v t1="$t1" \
      'BEGIN { x = ((b1 - b0) - (m1 - m0)) / (t1 - t0); if (x < 0) x = 0; printf "%.3f\n", x }')
    noise[$c]+="$rn "
    wall[$c]+="$(calc "$t1 - $t0") "
    # CPU seconds of the command: every process of it (mpirun and all ranks).
    cpus[$c]+="$(calc "$CHILD_CPU - $rc0") "
    case $c in
      floor)
        s=$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$log")
        [[ -n $s ]] || die "no figures from bp-gdal-floor (log: $log)"
        inproc[$c]+="$s " ;;
      io1|io2)
        # In-process: the slower process of the pair; bytes: the files written.
        s=$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$log" | sort -g | tail -n 1)
        [[ -n $s ]] || die "no figures from bp-io-floor (log: $log)"
        [[ $(sed -n 's/.*"rows": \([0-9]*\).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }') -eq $N ]] ||
          die "bp-io-floor did not read $N rows (log: $log)"
        inproc[$c]+="$s "
        outbytes[$c]=$(sum_sizes "$out" -name 'floor-*.bin') ;;
      w1|w2|w1z)
        grep -q "done: $N records" "$log" || die "converter did not report $N records (log: $log)"
        [[ -f $out/manifest.json ]] || die "no manifest.json (log: $log)"
        s=$(sed -n 's/.*done: .* MB, \([0-9.]*\) s (.*/\1/p' "$log")
        inproc[$c]+="${s:-null} "
        # Every shard: .tfrecord, or .tfrecord.zlib / .tfrecord.gz when
        # compressed (not the .idx files, not the manifest).
        outbytes[$c]=$(find "$out" -type f \( -name '*.tfrecord' -o -name '*.tfrecord.zlib' \
          -o -name '*.tfrecord.gz' \) -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }') ;;
    esac
    rm -rf "$out"
    printf 'bench: run %d/%d %-6s %8.3f s  (other processes: %.2f cores)\n' $((i + 1)) "$R" "$c" \
      "$(calc "$t1 - $t0")" "$rn"
  done
done
children_seconds
others_cores=$(awk -v b0="$busy0" -v b1="$(busy_seconds)" -v m0="$mine0" -v m1="$CHILD_CPU" \
  -v t0="$timed0" -v t1="$(now)" 'BEGIN { x = ((b1 - b0) - (m1 - m0)) / (t1 - t0); if (x < 0) x = 0; printf "%.3f\n", x }')
if awk -v x="$others_cores" 'BEGIN { exit !(x > 0.1) }'; then
  echo "bench: WARNING: other processes used $others_cores cores on average during the timed runs: the figures are noisy; run again on a quiet machine" >&2
fi
declare -A med medin medcpu pps ppsin mbout mbin
for c in "${configs[@]}"; do
  # shellcheck disable=SC2086
  med[$c]=$(median ${wall[$c]})
  # shellcheck disable=SC2086
  medcpu[$c]=$(median ${cpus[$c]})
  # shellcheck disable=SC2086
  medin[$c]=$(median ${inproc[$c]:-null})
  pps[$c]=$(ratio "$N" "${med[$c]}")
  [[ $c == launch ]] && pps[$c]=null
  ppsin[$c]=$(ratio "$N" "${medin[$c]}")
  mbout[$c]=null; mbin[$c]=null
done
for c in io1 io2 w1 w2 w1z; do
  [[ -n ${med[$c]:-} ]] || continue
  mbout[$c]=$(ratio "$(calc "${outbytes[$c]} / 1000000")" "${med[$c]}")
  mbin[$c]=$(ratio "$(calc "$conv_in_bytes / 1000000")" "${med[$c]}")
done
mbin[floor]=$(ratio "$(calc "$tif_bytes / 1000000")" "${med[floor]}")

r_floor=$(ratio "${pps[w1]}" "${pps[floor]}")
r_floor_in=$(ratio "${ppsin[w1]}" "${ppsin[floor]}")
r_scaling=$(ratio "${pps[w2]}" "${pps[w1]}")
r_scaling_in=$(ratio "${ppsin[w2]}" "${ppsin[w1]}")
# The converter against the I/O floor: its time as a multiple of the
# floor's (wall, and by the programs' own clocks); and what two processes
# doing nothing but that I/O reach on this machine, beside two workers.
r_io=$(ratio "${med[w1]}" "${med[io1]}")
r_io_in=$(ratio "${medin[w1]}" "${medin[io1]}")
r_io_scaling=$(ratio "${med[io1]}" "${med[io2]}")
r_io_scaling_in=$(ratio "${medin[io1]}" "${medin[io2]}")
# The same ratios paired by round: the median over the R rounds of each
# round's ratio (the two runs of a round are close in time, so a load that
# comes and goes upsets fewer of them than the medians of each run apart).
# paired LIST_A LIST_B: median of A_i / B_i.
paired() {
  local -a a b v=()
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  local i
  for i in "${!a[@]}"; do v+=("$(ratio "${a[i]}" "${b[i]:-null}")"); done
  median "${v[@]}"
}
p_io_scaling=$(paired "${wall[io1]}" "${wall[io2]}")
p_io_scaling_in=$(paired "${inproc[io1]}" "${inproc[io2]}")
p_scaling=$(paired "${wall[w1]}" "${wall[w2]}")
p_scaling_in=$(paired "${inproc[w1]}" "${inproc[w2]}")
r_python=$(ratio "${pps[w1]}" "$PYTHON_REF_PPS")
r_python_in=$(ratio "${ppsin[w1]}" "$PYTHON_REF_PPS")
comp_ms=null
if [[ -n ${med[w1z]:-} ]]; then
  comp_ms=$(calc "(${med[w1z]} - ${med[w1]}) * 1000 / $N")
fi

# --- 2. system calls per input file: only rank 1 (the worker) under strace
sc_conv=null sc_conv_pf=null sc_fixed=null sc_conv_net_pf=null sc_floor=null sc_floor_pf=null
sc_conv_top="" sc_floor_top=""
if ((have_strace)); then
  echo "bench: counting system calls (strace -c -f)"
  d=$scratch/strace-conv; mkdir -p "$d"; out=$out_root/run; rm -rf "$out"
  set_args "$N" "$out"
  run "$logs/strace-conv.log" "${mpirun[@]}" -np 2 bash -c "$rankwrap" _ strace "$d" 1 \
    "$BEN_PREP" "${CONV[@]}" -q
  rm -rf "$out"
  sc_conv=$(strace_total "$d/strace.1")
  sc_conv_top=$(strace_top "$d/strace.1" 8)
  sc_conv_pf=$(calc "$sc_conv / (15 * $N)")
  cp "$d/strace.1" "$logs/strace-worker.txt"
  # The fixed cost: the same worker rank in a dry run (MPI start and stop only).
  d=$scratch/strace-fixed; mkdir -p "$d"
  run "$logs/strace-fixed.log" "${mpirun[@]}" -np 2 bash -c "$rankwrap" _ strace "$d" 1 \
    "$BEN_PREP" --dry-run -q -n "${SPLITS[@]}"
  sc_fixed=$(strace_total "$d/strace.1")
  sc_conv_net_pf=$(calc "($sc_conv - $sc_fixed) / (15 * $N)")
  d=$scratch/strace-floor; mkdir -p "$d"
  run "$logs/strace-floor.log" strace -c -f -o "$d/strace.0" "$BP_GDAL_FLOOR" "${FLOOR[@]}"
  sc_floor=$(strace_total "$d/strace.0")
  sc_floor_top=$(strace_top "$d/strace.0" 8)
  sc_floor_pf=$(calc "$sc_floor / (14 * $N)")
  cp "$d/strace.0" "$logs/strace-floor.txt"
fi

# --- 2b. where the worker's CPU time goes: perf record (cpu-clock samples
#         with DWARF call stacks) of the worker rank of a one-worker run; each
#         sample goes to the first class that a function on its stack names,
#         its sampling period summed per class (CPU seconds).
prof_classes=(read open decode encode stats labels write startup other)
declare -A prof_names=([read]="read() of the input files (kernel: page-cache copy)"
  [open]="open, fstat, close of the input files"
  [decode]="decoding the bands (TIFF, GDAL)"
  [encode]="encoding: varints, CRC-32C, record framing"
  [stats]="pixel statistics for the manifest"
  [labels]="label JSON parsing"
  [write]="writing the shards: write, fsync, rename (kernel)"
  [startup]="start-up, MPI, shut-down"
  [other]="other (page faults, scheduling, the rest)")
declare -A prof
prof_total=null
if command -v perf >/dev/null &&
  perf record -q -e cpu-clock -o "$scratch/perf.test" true >/dev/null 2>&1; then
  echo "bench: where the worker's CPU goes (perf record)"
  d=$scratch/perf; mkdir -p "$d"; out=$out_root/run; rm -rf "$out"
  set_args "$N" "$out"
  run "$logs/perf.log" "${mpirun[@]}" -np 2 bash -c "$rankwrap" _ perf "$d" 1 \
    "$BEN_PREP" "${CONV[@]}" -q
  rm -rf "$out"
  perf script -i "$d/perf.1" 2>/dev/null | awk '
    function classify(st, leaf) {
      if (st ~ / (ksys_read|vfs_read|__x64_sys_read)\+/ || leaf ~ /^(read|__libc_read|__GI___libc_read)$/) return "read"
      if (st ~ / (ksys_write|vfs_write|__x64_sys_write|do_fsync|__x64_sys_fsync|__x64_sys_rename|do_renameat2)\+/ ||
          leaf ~ /^(write|__libc_write|__GI___libc_write|fsync|__libc_fsync|rename)$/) return "write"
      if (st ~ / (__x64_sys_openat|do_sys_openat2|__x64_sys_close|__x64_sys_newfstatat|__do_sys_newfstatat|__x64_sys_newfstat|__do_sys_newfstat|vfs_fstat|__x64_sys_newfstatat|__fput)\+/ ||
          leaf ~ /open|close|fstat/) return "open"
      if (st ~ / (bp_gdal_setup|GDALAllRegister|GDALDestroy[A-Za-z]*)\+/) return "startup"
      if (st ~ / (bp_tiff_decode[a-z_]*|read_band|GDAL[A-Za-z_]*|decode_gdal[a-z_]*)\+/ || st ~ /libgdal|libtiff/) return "decode"
      if (st ~ / [a-z0-9_]*(varint|crc32c|bp_record_|bp_example|bp_feature|tfrecord|bp_shard_commit|bp_shard_reserve)[a-z0-9_.]*\+/) return "encode"
      if (st ~ / (bp_stats_[a-z_]*|moments_[a-z0-9_.]*)\+/) return "stats"
      if (st ~ / (parse_labels|read_labels|json_[a-z_]*|bp_label[a-z_]*)\+/ || st ~ /libjson-c/) return "labels"
      if (st ~ / (_dl_[a-z_]*|dl_main|_dl_start|[a-z_]*execve[a-z_.]*|exit_mmap|do_exit|MPI_[A-Za-z_]*|PMPI_[A-Za-z_]*|mca_[a-z_]*|opal_[a-z_]*|ompi_[a-z_]*|orte_[a-z_]*|pmix_[a-z_]*|PMIx_[A-Za-z_]*)\+/ ||
          st ~ /libmpi|libopen-pal|libopen-rte|libpmix|libhwloc|libevent|ld-linux/) return "startup"
      return "other"
    }
    function done_sample() { if (have) t[classify(st, leaf)] += per; have = 0 }
    /cpu-clock/ && /^[^ \t]/ {
      done_sample()
      for (i = 1; i <= NF; i++) if ($i ~ /^cpu-clock/) per = $(i - 1)
      have = 1; st = ""; leaf = ""; next
    }
    /^[ \t]+[0-9a-f]+ / {
      # leaf: the innermost function outside the kernel (a system call stub).
      sym = $2; sub(/\+0x[0-9a-f]+$/, "", sym)
      if (leaf == "" && $NF != "([kernel.kallsyms])") leaf = sym
      st = st " " $2 " " $NF
    }
    END { done_sample(); for (k in t) printf "%s %.6f\n", k, t[k] / 1e9 }' >"$d/classes"
  prof_total=0
  for k in "${prof_classes[@]}"; do
    prof[$k]=$(awk -v k="$k" '$1 == k { s += $2 } END { printf "%.6f\n", s }' "$d/classes")
    prof_total=$(calc "$prof_total + ${prof[$k]}")
  done
  [[ -s $d/classes ]] || prof_total=null
  perf report -i "$d/perf.1" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
    grep '%' | head -n 40 >"$logs/perf-worker.txt" || true
else
  echo "bench: perf missing or not allowed: the worker's CPU time is not broken down" >&2
fi

# --- 3. peak resident memory of every rank (GNU time around each rank)
declare -A mem0 mem1
mem_dry0=null mem_dry_rows=null
cpu0=null cpu0_net=null cpu0_self=null w2_mem0=null w2_memw=null mem_base=null
if ((have_time)); then
  for m in $mem_sizes; do
    echo "bench: peak memory, N=$m, one worker"
    warm "$m"
    d=$scratch/mem-$m; mkdir -p "$d"; out=$out_root/run; rm -rf "$out"
    set_args "$m" "$out"
    run "$logs/mem-$m.log" "${mpirun[@]}" -np 2 bash -c "$rankwrap" _ time "$d" all \
      "$BEN_PREP" "${CONV[@]}"
    grep -q "done: $m records" "$logs/mem-$m.log" || die "converter did not report $m records"
    rm -rf "$out"
    mem0[$m]=$(calc "$(time_field "$d/time.0" 4) / 1024")
    mem1[$m]=$(calc "$(time_field "$d/time.1" 4) / 1024")
  done
  official=("$SHARED/splits/train.csv" "$SHARED/splits/val.csv" "$SHARED/splits/test.csv")
  if [[ -f ${official[0]} && -f ${official[1]} && -f ${official[2]} ]]; then
    echo "bench: peak memory of rank 0, --dry-run of the official splits"
    mem_dry_rows=$(cat "${official[@]}" | grep -c ,)
    d=$scratch/mem-dry; mkdir -p "$d"
    run "$logs/mem-dry.log" "${mpirun[@]}" -np 2 bash -c "$rankwrap" _ time "$d" all \
      "$BEN_PREP" --dry-run -q -n "${official[@]}"
    mem_dry0=$(calc "$(time_field "$d/time.0" 4) / 1024")
  else
    echo "bench: official split files not found in $SHARED/splits: rank 0 dry-run memory not measured" >&2
  fi

  # --- 4. rank 0's CPU share during the two-worker run (R runs, median), and
  #        net of the start-up cost (the same ranks on a dry run of the splits)
  echo "bench: rank 0 CPU share, two workers, $R runs"
  shares=() nets=() selfs=() m0s=() mws=() bw=() bc=() mbase=()
  warm "$N"
  for ((i = 0; i < R; i++)); do
    d=$scratch/cpu-dry-$i; mkdir -p "$d"; out=$out_root/run; rm -rf "$out"
    set_args "$N" "$out"
    run "$logs/cpu-dry-$i.log" "${mpirun[@]}" -np 3 bash -c "$rankwrap" _ time "$d" all \
      "$BEN_PREP" --dry-run -q -n "${SPLITS[@]}"
    bw+=("$(time_field "$d/time.0" 1)")
    bc+=("$(calc "$(time_field "$d/time.0" 2) + $(time_field "$d/time.0" 3)")")
    mbase+=("$(calc "$(time_field "$d/time.1" 4) / 1024")")
    d=$scratch/cpu-$i; mkdir -p "$d"
    run "$logs/cpu-$i.log" "${mpirun[@]}" -np 3 bash -c "$rankwrap" _ time "$d" all \
      "$BEN_PREP" "${CONV[@]}"
    rm -rf "$out"
    w=$(time_field "$d/time.0" 1)
    c0=$(calc "$(time_field "$d/time.0" 2) + $(time_field "$d/time.0" 3)")
    shares+=("$(calc "100 * $c0 / $w")")
    # Rank 0's own account of its CPU over the conversion (summary line).
    selfs+=("$(sed -n 's/.*rank 0 used [0-9.]* s of CPU (\([0-9.]*\)% of the run).*/\1/p' \
      "$logs/cpu-$i.log" | head -n 1)")
    nets+=("$(awk -v c="$c0" -v w="$w" -v bc="${bc[i]}" -v bw="${bw[i]}" \
      'BEGIN { d = w - bw; if (d <= 0) print "null"; else printf "%.6f\n", 100 * (c - bc) / d }')")
    m0s+=("$(calc "$(time_field "$d/time.0" 4) / 1024")")
    mws+=("$(calc "($(time_field "$d/time.1" 4) > $(time_field "$d/time.2" 4) ? $(time_field "$d/time.1" 4) : $(time_field "$d/time.2" 4)) / 1024")")
  done
  cpu0=$(median "${shares[@]}")
  cpu0_net=$(median "${nets[@]}")
  cpu0_self=$(median "${selfs[@]:-null}")
  w2_mem0=$(median "${m0s[@]}")
  w2_memw=$(median "${mws[@]}")
  # What a worker rank holds before converting anything: MPI, GDAL and the
  # other shared libraries (rank 1 of the dry runs above).
  mem_base=$(median "${mbase[@]}")
fi

worker_peak=null worker_growth=null mem_small=null mem_large=null
if ((have_time)); then
  # shellcheck disable=SC2086
  mapfile -t sizes < <(printf '%s\n' $mem_sizes | sort -n)
  mem_small=${sizes[0]} mem_large=${sizes[${#sizes[@]} - 1]}
  worker_peak=$(printf '%s\n' "${mem1[@]}" | sort -g | tail -n 1)
  worker_growth=$(calc "100 * (${mem1[$mem_large]} - ${mem1[$mem_small]}) / ${mem1[$mem_small]}")
fi
finished_epoch=$(date +%s)
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# --- targets
# Speed is judged on conversion rates by the programs' own clocks: what a
# long job runs at. The wall times (with the fixed ~0.4 s of mpirun start-up
# and shut-down, which a plain process does not pay and which does not
# grow with the archive) are reported beside them.
st_floor=$(check "$r_floor_in" ">=" "$T_FLOOR_RATIO")
st_python=$(check "$r_python_in" ">=" "$T_PYTHON_RATIO")
st_sys=$(check "$sc_conv_pf" "<=" "$T_SYSCALLS")
st_scale=$(check "$r_scaling_in" ">=" "$T_SCALING")
st_wmem=$(check "$worker_peak" "<=" "$T_WORKER_MB")
st_wgrow=$(check "$worker_growth" "<=" "$T_WORKER_GROWTH")
st_r0mem=$(check "$mem_dry0" "<=" "$T_RANK0_MB")
st_cpu=$(check "${cpu0_self:-null}" "<" "$T_RANK0_CPU")
statuses=("$st_floor" "$st_python" "$st_sys" "$st_scale" "$st_wmem" "$st_wgrow" "$st_r0mem" "$st_cpu")
npass=0 nfail=0 nskip=0
for s in "${statuses[@]}"; do
  case $s in PASS) ((++npass)) ;; FAIL) ((++nfail)) ;; *) ((++nskip)) ;; esac
done

# --- JSON
num() { if [[ $1 == null ]]; then echo null; else awk -v v="$1" 'BEGIN { printf "%.4f", v }'; fi; }
# target_json NAME MEASURED OP LIMIT UNIT STATUS BASIS [EXTRA]: MEASURED is the
# figure STATUS was judged on, BASIS says what it is; EXTRA: more fields
# ("key": value, ...), the figures by other clocks.
target_json() {
  printf '{"name": %s, "measured": %s, "op": %s, "target": %s, "unit": %s, "status": %s, "measured_as": %s%s}' \
    "$(jstr "$1")" "$(num "$2")" "$(jstr "$3")" "$4" "$(jstr "$5")" "$(jstr "$6")" \
    "$(jstr "$7")" "${8:+, $8}"
}
inproc_basis="conversion rates by the programs' own clocks (in-process)"

run_json() { # config description
  local c=$1 wl il nl
  wl=$(for v in ${wall[$c]}; do num "$v"; echo; done | paste -sd, -)
  il=$(for v in ${inproc[$c]:-}; do num "$v"; echo; done | paste -sd, -)
  nl=$(for v in ${noise[$c]:-}; do num "$v"; echo; done | paste -sd, -)
  cl=$(for v in ${cpus[$c]:-}; do num "$v"; echo; done | paste -sd, -)
  printf '{"what": %s, "wall_seconds": [%s], "median_seconds": %s, "patches_per_s": %s, "in_process_seconds": [%s], "in_process_median_seconds": %s, "in_process_patches_per_s": %s, "cpu_seconds": [%s], "cpu_median_seconds": %s, "mb_per_s_read": %s, "mb_per_s_written": %s, "bytes_written": %s, "other_processes_cores": [%s]}' \
    "$(jstr "$2")" "$wl" "$(num "${med[$c]}")" "$(num "${pps[$c]}")" "$il" \
    "$(num "${medin[$c]}")" "$(num "${ppsin[$c]}")" "$cl" "$(num "${medcpu[$c]}")" \
    "$(num "${mbin[$c]}")" "$(num "${mbout[$c]}")" "${outbytes[$c]:-0}" "$nl"
}
prof_json=""
for k in "${prof_classes[@]}"; do
  prof_json+="${prof_json:+, }\"$k\": {\"what\": $(jstr "${prof_names[$k]}"), \"cpu_seconds\": $(num "${prof[$k]:-null}")}"
done
mem_json=""
if ((have_time)); then
  for m in $mem_sizes; do
    mem_json+="${mem_json:+, }{\"patches\": $m, \"rank0_mb\": $(num "${mem0[$m]}"), \"worker_mb\": $(num "${mem1[$m]}")}"
  done
fi
{
  echo "{"
  echo "  \"benchmark\": \"ben-prep\", \"version\": $(jstr "$prep_version"),"
  echo "  \"started\": $(jstr "$(date -u -d "@$started_epoch" +%Y-%m-%dT%H:%M:%SZ)"), \"seconds\": $((finished_epoch - started_epoch)),"
  echo "  \"machine\": {\"host\": $(jstr "$host"), \"nproc\": $ncpu, \"cpu\": $(jstr "$cpu_model"), \"kernel\": $(jstr "$kernel"), \"gdal\": $(jstr "$gdal_version"), \"mpi\": $(jstr "$mpi_version"), \"loadavg_before\": $(jstr "$load_before"), \"loadavg_after\": $(jstr "$load_after"), \"other_processes_cores_before\": $(num "$idle_busy"), \"other_processes_cores_during_timed_runs\": $(num "$others_cores")},"
  echo "  \"inputs\": {\"patches\": $N, \"repetitions\": $R, \"records_per_shard\": $rps, \"seed\": $seed, \"archive\": $(jstr "$arch"), \"page_cache\": \"warm\", \"shards_to\": $(jstr "$out_kind"), \"shard_folder\": $(jstr "$out_root"), \"converter_files_per_pair\": 15, \"floor_files_per_pair\": 14, \"converter_input_bytes\": $conv_in_bytes, \"floor_input_bytes\": $tif_bytes, \"launcher\": $(jstr "${mpirun[*]}"), \"compression_args\": $(jstr "${comp_args[*]:-}")},"
  echo "  \"runs\": {"
  echo "    \"floor\": $(run_json floor "bp-gdal-floor: GDALOpen + GDALRasterIO of the 14 band files per pair"),"
  echo "    \"io_floor_one_process\": $(run_json io1 "bp-io-floor: open/fstat/read/close of the 15 files per pair, written out in 8 MiB writes, one fsynced file per chunk"),"
  echo "    \"io_floor_two_processes\": $(run_json io2 "bp-io-floor --part 0/2 and --part 1/2 at once; wall time of the pair, in-process time of the slower"),"
  echo "    \"one_worker\": $(run_json w1 "mpirun -np 2 ben-prep"),"
  echo "    \"two_workers\": $(run_json w2 "mpirun -np 3 ben-prep"),"
  [[ -n ${med[w1z]:-} ]] && echo "    \"one_worker_compressed\": $(run_json w1z "mpirun -np 2 ben-prep ${comp_args[*]}"),"
  echo "    \"launch\": $(run_json launch "mpirun -np 2 ben-prep --dry-run of the same splits: start-up and shut-down only")"
  echo "  },"
  echo "  \"ratios\": {\"one_worker_over_floor_wall_clock\": $(num "$r_floor"), \"one_worker_over_floor_in_process\": $(num "$r_floor_in"), \"two_over_one_worker_wall_clock\": $(num "$r_scaling"), \"two_over_one_worker_in_process\": $(num "$r_scaling_in"), \"one_worker_over_python_reference_wall_clock\": $(num "$r_python"), \"one_worker_over_python_reference_in_process\": $(num "$r_python_in"), \"python_reference_patches_per_s\": $PYTHON_REF_PPS, \"one_worker_over_io_floor_time_wall_clock\": $(num "$r_io"), \"one_worker_over_io_floor_time_in_process\": $(num "$r_io_in"), \"io_floor_two_over_one_process_wall_clock\": $(num "$r_io_scaling"), \"io_floor_two_over_one_process_in_process\": $(num "$r_io_scaling_in"), \"paired_by_round\": {\"io_floor_two_over_one_process_wall_clock\": $(num "$p_io_scaling"), \"io_floor_two_over_one_process_in_process\": $(num "$p_io_scaling_in"), \"two_over_one_worker_wall_clock\": $(num "$p_scaling"), \"two_over_one_worker_in_process\": $(num "$p_scaling_in")}},"
  echo "  \"worker_cpu_profile\": {\"measured_as\": \"perf record -e cpu-clock --call-graph dwarf of the worker rank, one worker; each sample in the first class a function on its stack names\", \"total_cpu_seconds\": $(num "$prof_total"), \"classes\": {${prof_json}}},"
  echo "  \"compression_ms_per_patch\": $(num "$comp_ms"),"
  echo "  \"syscalls\": {\"converter_worker_total\": ${sc_conv}, \"converter_worker_fixed_dry_run\": ${sc_fixed}, \"converter_per_input_file\": $(num "$sc_conv_pf"), \"converter_per_input_file_net_of_fixed\": $(num "$sc_conv_net_pf"), \"converter_top\": [${sc_conv_top}], \"floor_total\": ${sc_floor}, \"floor_per_input_file\": $(num "$sc_floor_pf"), \"floor_top\": [${sc_floor_top}]},"
  echo "  \"memory_mb\": {\"one_worker_runs\": [${mem_json}], \"rank0_dry_run_official\": $(num "$mem_dry0"), \"official_rows\": ${mem_dry_rows}, \"two_worker_run_rank0\": $(num "$w2_mem0"), \"two_worker_run_worker\": $(num "$w2_memw"), \"worker_baseline_dry_run\": $(num "$mem_base")},"
  echo "  \"rank0_cpu_percent\": {\"whole_process_two_worker_run\": $(num "$cpu0"), \"whole_process_net_of_startup\": $(num "$cpu0_net"), \"over_the_conversion_own_account\": $(num "$cpu0_self")},"
  echo "  \"targets\": ["
  echo "    $(target_json "one worker / GDAL read floor" "$r_floor_in" ">=" "$T_FLOOR_RATIO" "x" "$st_floor" \
    "$inproc_basis" "\"wall_clock_measured\": $(num "$r_floor")"),"
  echo "    $(target_json "one worker / Python reference (45 patches/s)" "$r_python_in" ">=" "$T_PYTHON_RATIO" "x" "$st_python" \
    "$inproc_basis" "\"wall_clock_measured\": $(num "$r_python")"),"
  echo "    $(target_json "system calls per input file (worker rank)" "$sc_conv_pf" "<=" "$T_SYSCALLS" "calls" "$st_sys" \
    "strace -c -f of the worker rank, all its calls / (15 * N)")",
  echo "    $(target_json "two workers / one worker" "$r_scaling_in" ">=" "$T_SCALING" "x" "$st_scale" \
    "$inproc_basis" "\"wall_clock_measured\": $(num "$r_scaling")"),"
  echo "    $(target_json "worker peak RSS, largest over N" "$worker_peak" "<=" "$T_WORKER_MB" "MB" "$st_wmem" \
    "GNU time, maximum resident set size")",
  echo "    $(target_json "worker peak RSS growth, smallest to largest N" "$worker_growth" "<=" "$T_WORKER_GROWTH" "%" "$st_wgrow" \
    "GNU time, maximum resident set size")",
  echo "    $(target_json "rank 0 peak RSS, --dry-run of the official splits" "$mem_dry0" "<=" "$T_RANK0_MB" "MB" "$st_r0mem" \
    "GNU time, maximum resident set size")",
  echo "    $(target_json "rank 0 CPU share, two-worker run" "${cpu0_self:-null}" "<" "$T_RANK0_CPU" "%" "$st_cpu" \
    "rank 0's own account of its CPU over the conversion (summary line)" \
    "\"whole_process_measured\": $(num "$cpu0"), \"whole_process_net_of_startup\": $(num "$cpu0_net")")"
  echo "  ],"
  echo "  \"summary\": {\"pass\": $npass, \"fail\": $nfail, \"skip\": $nskip, \"retried_runs\": $retries, \"strict\": $( ((strict)) && echo true || echo false)}"
  echo "}"
} >"$json.tmp"
mv "$json.tmp" "$json"
if command -v python3 >/dev/null && python3 -c 'import json' 2>/dev/null; then
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$json" ||
    die "the JSON written is not valid: $json"
fi

# --- the table: the targets' names, measured values (the figures the
# statuses above are judged on) and limits, in the order of $statuses
t_names=("one worker / GDAL read floor (conversion rate)"
  "one worker / Python reference (45 patches/s)"
  "system calls per input file (worker)"
  "two workers / one worker (conversion rate)"
  "worker peak RSS (N = ${mem_sizes// /, })"
  "worker peak RSS growth, N = $mem_small -> $mem_large"
  "rank 0 peak RSS, --dry-run official splits"
  "rank 0 CPU share, two workers (own account)")
t_meas=("$(fmt "$r_floor_in" %.2fx)" "$(fmt "$r_python_in" %.1fx)" "$(fmt "$sc_conv_pf" %.2f)"
  "$(fmt "$r_scaling_in" %.2fx)" "$(fmt "$worker_peak" '%.1f MB')" "$(fmt "$worker_growth" %+.1f%%)"
  "$(fmt "$mem_dry0" '%.1f MB')" "$(fmt "${cpu0_self:-null}" %.1f%%)")
t_lims=(">= ${T_FLOOR_RATIO}x" ">= ${T_PYTHON_RATIO}x" "<= $T_SYSCALLS" ">= ${T_SCALING}x"
  "<= $T_WORKER_MB MB" "<= ${T_WORKER_GROWTH}%" "<= $T_RANK0_MB MB" "< ${T_RANK0_CPU}%")
{
  printf 'ben-prep benchmark: %d patch pairs, %d repetitions (medians), warm page cache,\n' "$N" "$R"
  printf 'shards (%d records each) written to %s, deleted after each run.\n' "$rps" \
    "$([[ $out_kind == tmpfs ]] && echo "tmpfs (/dev/shm): the disk is not measured" || echo "the work folder on disk")"
  printf 'machine: %s cores, %s, %s, GDAL %s, %s\n' \
    "$ncpu" "$cpu_model" "$kernel" "${gdal_version:-?}" "${mpi_version:-?}"
  printf 'other processes used %s cores on average during the timed runs%s\n\n' "$(fmt "$others_cores" %.2f)" \
    "$(awk -v x="$others_cores" 'BEGIN { if (x > 0.1) print " (NOISY: not a quiet machine)"; else print " (quiet)" }')"
  printf '%-34s %9s %11s %10s %10s %13s %7s\n' "run (wall time of the command)" "median s" "patches/s" "MB/s in" "MB/s out" "in-process/s" "CPU s"
  row() { printf '%-34s %9s %11s %10s %10s %13s %7s\n' "$1" "$(fmt "${med[$2]}" %.3f)" \
    "$(fmt "${pps[$2]}" %.0f)" "$(fmt "${mbin[$2]}" %.0f)" "$(fmt "${mbout[$2]}" %.0f)" "$(fmt "${ppsin[$2]}" %.0f)" \
    "$(fmt "${medcpu[$2]:-null}" %.2f)"; }
  row "GDAL read floor (14 files/pair)" floor
  row "I/O floor, 1 process" io1
  row "I/O floor, 2 processes" io2
  row "ben-prep, 1 worker (-np 2)" w1
  row "ben-prep, 2 workers (-np 3)" w2
  [[ -n ${med[w1z]:-} ]] && row "ben-prep, 1 worker, ${comp_args[*]}" w1z
  printf '%-34s %9s\n' "mpirun start+stop (dry run, -np 2)" "$(fmt "${med[launch]}" %.3f)"
  printf 'files read per pair: floor 14 (the band files, no labels), I/O floor and ben-prep 15 (also the S1 JSON)\n'
  printf '(CPU s: every process of the command, mpirun included; in-process/s: by the programs'"'"' own clocks)\n'
  printf '1 worker / I/O floor: %s of the time (by the programs'"'"' own clocks %s)\n' \
    "$(fmt "$r_io" %.2fx)" "$(fmt "$r_io_in" %.2fx)"
  printf 'I/O floor, 2 processes / 1 process: %s (own clocks %s); 2 workers / 1 worker: %s (own clocks %s)\n' \
    "$(fmt "$r_io_scaling" %.2fx)" "$(fmt "$r_io_scaling_in" %.2fx)" "$(fmt "$r_scaling" %.2fx)" "$(fmt "$r_scaling_in" %.2fx)"
  printf '  the same, median of each round'"'"'s ratio: I/O floor %s (own clocks %s); workers %s (own clocks %s)\n' \
    "$(fmt "$p_io_scaling" %.2fx)" "$(fmt "$p_io_scaling_in" %.2fx)" "$(fmt "$p_scaling" %.2fx)" "$(fmt "$p_scaling_in" %.2fx)"
  printf 'by wall time (with process and MPI start-up): 1 worker / floor %s, 2 workers / 1 worker %s,\n' \
    "$(fmt "$r_floor" %.2fx)" "$(fmt "$r_scaling" %.2fx)"
  printf '  1 worker / Python reference %s\n\n' "$(fmt "$r_python" %.1fx)"
  printf 'system calls: worker %s per input file (%s in all, %s of them start-up/shut-down;\n' \
    "$(fmt "$sc_conv_pf" %.2f)" "$sc_conv" "$sc_fixed"
  printf '  %s per file without those), floor %s per band file (%s in all)\n' \
    "$(fmt "$sc_conv_net_pf" %.2f)" "$(fmt "$sc_floor_pf" %.2f)" "$sc_floor"
  if ((have_time)); then
    for m in $mem_sizes; do
      printf 'peak RSS, N=%-6s one worker: rank 0 %6s MB, worker %6s MB\n' "$m" \
        "$(fmt "${mem0[$m]}" %.1f)" "$(fmt "${mem1[$m]}" %.1f)"
    done
    printf 'peak RSS, N=%-6s two workers: rank 0 %5s MB, worker %6s MB\n' "$N" \
      "$(fmt "$w2_mem0" %.1f)" "$(fmt "$w2_memw" %.1f)"
    printf 'peak RSS of an idle worker rank (dry run: MPI, GDAL and other libraries): %s MB\n' \
      "$(fmt "$mem_base" %.1f)"
    printf 'rank 0 CPU share, two workers: %s%% over the conversion (its own account), %s%% of the\n' \
      "$(fmt "${cpu0_self:-null}" %.1f)" "$(fmt "$cpu0" %.1f)"
    printf '  whole process with MPI start-up, %s%% net of start-up\n' "$(fmt "$cpu0_net" %.1f)"
  fi
  [[ $comp_ms != null ]] && printf 'compression cost: %s ms per patch (one worker)\n' "$(fmt "$comp_ms" %.2f)"
  if [[ $prof_total != null ]]; then
    printf '\nwhere the worker'"'"'s CPU goes (perf record of the worker rank, one worker, %s s in all;\n' \
      "$(fmt "$prof_total" %.2f)"
    printf '  each sample in the first class a function on its call stack names):\n'
    for k in "${prof_classes[@]}"; do
      printf '  %-54s %6s s %5s%%\n' "${prof_names[$k]}" "$(fmt "${prof[$k]}" %.3f)" \
        "$(fmt "$(calc "100 * ${prof[$k]} / $prof_total")" %.1f)"
    done
  fi
  printf '\n%-52s %10s %10s  %s\n' "target" "measured" "target" "result"
  for i in "${!statuses[@]}"; do
    printf '%-52s %10s %10s  %s\n' "${t_names[i]}" "${t_meas[i]}" "${t_lims[i]}" "${statuses[i]}"
  done
  printf '\n%d targets met, %d missed, %d not measured; %d s in all\n' "$npass" "$nfail" "$nskip" \
    $((finished_epoch - started_epoch))
  ((retries == 0)) || printf 'WARNING: %d failed run(s) were repeated (logs/*.failed)\n' "$retries"
} | tee "$table_file"
if ((nfail)); then
  echo
  echo "MISSED TARGETS ($nfail of ${#statuses[@]}):"
  awk -v x="$others_cores" 'BEGIN { exit !(x > 0.1) }' &&
    echo "  (other processes used $others_cores cores during the timed runs: speed figures are not reliable)"
  for i in "${!statuses[@]}"; do
    if [[ ${statuses[i]} == FAIL ]]; then
      echo "  FAIL: ${t_names[i]}: measured ${t_meas[i]}, target ${t_lims[i]}"
    fi
  done
fi
echo
echo "bench: figures in $json (table in $table_file, logs in $logs)"
if ((nfail)); then
  if ((strict)); then
    echo "bench: FAILED: $nfail target(s) missed (BENCH_STRICT=1)" >&2
    exit 1
  fi
  echo "bench: $nfail target(s) missed; exit status 0 all the same (BENCH_STRICT=1 makes it 1)"
fi
exit 0
