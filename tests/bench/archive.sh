#!/usr/bin/env bash
# The archive section of the benchmark, run by scripts/bench.sh
# after the conversion benchmark; not a CTest test. On a synthetic archive
# written by `ben-synth --archive` (S2 bands as compressible as the real
# sample's), warm page cache, it prints side by side:
#   - the gzip -6 ratio of the S2 and S1 tars, synthetic and real sample;
#   - the index pass (bp-archive-tool build) against `gzip -dc ARCHIVE`,
#     CPU seconds of each (medians of R): throughput ratio;
#   - the index size as % of the compressed archive at the default spacing;
#   - per spacing: index size and random-order patch pairs read per CPU
#     second (reading only, S2 + S1 folders: one worker's read rate);
#   - when `ben-prep -r1 X.tar` is accepted (else "skipped: converter has no
#     archive input"): conversion rates from folders, .tar and .tar.gz with
#     one worker (-np 2), rows in random archive order, and from .tar.gz
#     with the rows in the archives' own order (the order ben-synth wrote
#     the patch folders, the same in the S2 and S1 archives), medians of R,
#     the configurations alternating: patches per CPU second of the worker
#     rank less its CPU in a dry run (start-up; what a worker with a core of
#     its own does: the targets are judged on it, as the machine may be
#     shared) and, beside it, by the converter's own clock over the
#     conversion (wall time); in archive order also tar stream MB inflated
#     per worker CPU second against the index pass's throughput; the
#     reader's counts from the converter's -v lines (tar stream inflated,
#     inflated twice, jumps to an access point) in both orders; the peak
#     RSS of the worker rank from .tar.gz (GNU time %M), also on a larger
#     archive (BENCH_ARCHIVE_MEM_N pairs, .tar.gz only, archive order);
#     system calls of the worker rank per patch pair (strace -c -f); and in
#     both orders the wall time of "tar xzf both archives + convert from the
#     folders" against "convert straight from the .tar.gz files" (their
#     indexes built in the run).
# Then the targets with PASS/FAIL (SKIP: not measured), also written to
# WORK/archive.txt.
#
#   archive.sh [N [R]]     N patch pairs (BENCH_ARCHIVE_N, 500), R repeats
#                          (BENCH_ARCHIVE_R, 3)
#
# Environment: BENCH_BUILD_DIR (default <project>/build-bench), BEN_PREP,
# BEN_SYNTH, BP_ARCHIVE_TOOL (default: in the build folder), BENCH_DIR (work
# folder, default BUILD/bench; the archives are kept in WORK/archive-N and
# made again when ben-synth changes), SHARED (the real sample), MPIRUN
# (launcher and flags), BENCH_SPACINGS (MiB, "0.5 1 2"), BENCH_SEED (1),
# BENCH_ARCHIVE_MEM_N (pairs of the larger .tar.gz archive on which the
# worker's peak memory is measured again, default 4 N, 0 to leave it out;
# kept in WORK/mem-M).
# Exit status 0 when everything ran (whatever the targets), 1 when a run
# failed.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)
N=${1:-${BENCH_ARCHIVE_N:-500}}
R=${2:-${BENCH_ARCHIVE_R:-3}}
[[ $N =~ ^[1-9][0-9]*$ && $R =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench-archive: N and R must be positive integers" >&2; exit 2; }
build=${BENCH_BUILD_DIR:-$project/build-bench}
BEN_PREP=${BEN_PREP:-$build/ben-prep}
BEN_SYNTH=${BEN_SYNTH:-$build/ben-synth}
tool=${BP_ARCHIVE_TOOL:-$build/tests/archive/bp-archive-tool}
SHARED=${SHARED:-$project/../shared/data}
spacings=${BENCH_SPACINGS:-0.5 1 2}
seed=${BENCH_SEED:-1}
# The targets.
T_INDEX_PASS=0.85 # index pass / gzip -dc throughput >=
T_INDEX_SIZE=5    # index, % of the .tar.gz, default spacing <=
T_TAR_RATE=0.9    # conversion rate .tar / folders >=
T_GZ_RATE=120     # .tar.gz, random order, patches/s per worker >=
T_GZ_ORDER=0.8    # .tar.gz, archive order: MB inflated per worker CPU s / index pass MB/s >=
T_GZ_MB=96        # .tar.gz: worker peak RSS, MB <=
mem_n=${BENCH_ARCHIVE_MEM_N:-$((4 * N))}
[[ $mem_n =~ ^[0-9]+$ ]] || { echo "bench-archive: BENCH_ARCHIVE_MEM_N must be a number" >&2; exit 2; }
DEFAULT_SPACING=1 # MiB, the reader's default (BP_ARCHIVE_SPACING_DEFAULT): named in the table
die() { echo "bench-archive: $*" >&2; exit 1; }
for p in "$BEN_PREP" "$BEN_SYNTH" "$tool"; do [[ -x $p ]] || die "not built: $p"; done
if [[ -n ${MPIRUN:-} ]]; then
  read -r -a mpirun <<<"$MPIRUN"
else
  mpirun=(mpirun --oversubscribe)
  [[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
fi
work=${BENCH_DIR:-$build/bench}/archive-$N
mkdir -p "$work"
work=$(cd "$work" && pwd)
logs=$work/logs
mkdir -p "$logs"
export BP_TOOL_QUIET=1
started=$(date +%s)
s2top=BigEarthNet-v1.0 s1top=BigEarthNet-S1-v1.0

calc() { awk "BEGIN { printf \"%.6f\n\", $1 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.1f-%.1f", a, b }'; }
kv() { sed -n "s/^$1=//p" "$2"; }
size() { stat -c %s "$1"; }
cpu_secs() { # user + system CPU seconds of a command, its output discarded
  /usr/bin/time -f "%U %S" -o "$work/time.out" "$@" >/dev/null
  awk '{ print $1 + $2 }' "$work/time.out"
}
# check VALUE OP LIMIT: PASS, FAIL or SKIP (VALUE empty).
check() {
  [[ -n $1 ]] || { echo SKIP; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
    exit !(op == ">=" ? v >= l : op == "<=" ? v <= l : op == "<" ? v < l : 0) }' &&
    echo PASS || echo FAIL
}
run() { # LOG CMD...: a failed run stops the section, showing its log
  local log=$1; shift
  "$@" >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "failed: $* (log: $log)"; }
}

# --- the archives: folders, .tar and .tar.gz of the same arguments, kept
# until ben-synth or the arguments change
stamp="$N $seed $(md5sum <"$BEN_SYNTH" | cut -c1-32)"
if [[ ! -f $work/stamp || $(cat "$work/stamp") != "$stamp" ]]; then
  echo "bench-archive: generating $N synthetic patch pairs as folders, .tar and .tar.gz in $work"
  rm -rf "$work/folders" "$work/tar" "$work/gz" "$work/stamp"
  for k in folders tar gz; do
    a=(); [[ $k != folders ]] && a=(--archive "$k")
    run "$logs/synth-$k.log" "$BEN_SYNTH" -o "$work/$k" -n "$N" --seed "$seed" "${a[@]}" -q
  done
  for top in $s2top $s1top; do
    (cd "$work/folders/$top" && find . -type f | sed 's|^\./||' | sort) >"$work/$top.sorted"
    python3 "$project/tests/archive/shuffle_patches.py" "$work/$top.sorted" "$work/$top.random" 1
  done
  # Every row of the three splits in one split file, in a random order (so
  # the converter reads the archives in random order).
  python3 - "$work/folders/splits" "$work/random.csv" <<'EOF'
import random, sys
rows = [r for s in ('train', 'val', 'test')
        for r in open('%s/%s.csv' % (sys.argv[1], s), 'rb').read().splitlines(True)]
random.Random(7).shuffle(rows)
open(sys.argv[2], 'wb').write(b''.join(rows))
EOF
  echo "$stamp" >"$work/stamp"
fi
for k in folders tar gz; do find "$work/$k" -type f -exec cat {} + >/dev/null; done
# archive_order S2_ARCHIVE S1_ARCHIVE SPLITS OUT: every row of the three
# splits, in the order of its S2 patch folder in the S2 archive (the order
# ben-synth wrote them); the S1 folders must then be in their archive's order
# too.
archive_order() {
  local a
  for a in "$1" "$2"; do
    tar -tf "$a" | awk -F/ 'NF >= 3 && $2 != "" && !seen[$2]++ { print $2 }'
    echo --
  done >"$4.order"
  python3 - "$4.order" "$3" "$4" <<'EOF'
import sys
s2, s1, _ = open(sys.argv[1]).read().split('--')
pos2 = {n: i for i, n in enumerate(s2.split())}
pos1 = {n: i for i, n in enumerate(s1.split())}
rows = [r for s in ('train', 'val', 'test')
        for r in open('%s/%s.csv' % (sys.argv[2], s), 'rb').read().splitlines(True)]
name = lambda r, i: r.split(b',')[i].strip().decode()
rows.sort(key=lambda r: pos2[name(r, 0)])
p1 = [pos1[name(r, 1)] for r in rows]
if p1 != sorted(p1):
    sys.exit('the S1 archive is not in the order of the S2 archive')
open(sys.argv[3], 'wb').write(b''.join(rows))
EOF
  rm -f "$4.order"
}
[[ -s $work/archive.csv && $work/archive.csv -nt $work/stamp ]] ||
  archive_order "$work/tar/$s2top.tar" "$work/tar/$s1top.tar" "$work/folders/splits" "$work/archive.csv" ||
  die "could not put the rows in archive order"

# --- compressibility
ratio_of() { calc "$(size "$1") / $(size "$2")"; }
syn_s2=$(ratio_of "$work/tar/$s2top.tar" "$work/gz/$s2top.tar.gz")
syn_s1=$(ratio_of "$work/tar/$s1top.tar" "$work/gz/$s1top.tar.gz")
real_s2="" real_s1=""
if [[ -d $SHARED/bigearthnet-v1-sample ]]; then
  for top in $s2top $s1top; do
    tar -C "$SHARED/bigearthnet-v1-sample" --format=gnu -cf "$work/real-$top.tar" "$top"
    gzip -6 -c "$work/real-$top.tar" >"$work/real-$top.tar.gz"
  done
  real_s2=$(ratio_of "$work/real-$s2top.tar" "$work/real-$s2top.tar.gz")
  real_s1=$(ratio_of "$work/real-$s1top.tar" "$work/real-$s1top.tar.gz")
fi

# --- index pass against gzip -dc, index size at the default spacing
declare -A gz_s idx_s idx_b
for top in $s2top $s1top; do
  gz=$work/gz/$top.tar.gz
  g=() b=()
  for ((i = 0; i < R; i++)); do
    g+=("$(cpu_secs gzip -dc "$gz")")
    run "$logs/build.out" "$tool" build "$gz" "$work/$top.default.bpidx"
    b+=("$(kv cpu_seconds "$logs/build.out")")
  done
  gz_s[$top]=$(median "${g[@]}")
  idx_s[$top]=$(median "${b[@]}")
  idx_b[$top]=$(kv index_bytes "$logs/build.out")
done
gz_bytes=$(($(size "$work/gz/$s2top.tar.gz") + $(size "$work/gz/$s1top.tar.gz")))
tar_bytes=$(($(size "$work/tar/$s2top.tar") + $(size "$work/tar/$s1top.tar")))
pass_ratio=$(calc "(${gz_s[$s2top]} + ${gz_s[$s1top]}) / (${idx_s[$s2top]} + ${idx_s[$s1top]})")
index_pct=$(calc "100 * (${idx_b[$s2top]} + ${idx_b[$s1top]}) / $gz_bytes")

# --- spacing: index size and random-order reads
declare -A sp_pct sp_pairs
for sp in $spacings; do
  bytes=$(awk -v s="$sp" 'BEGIN { printf "%d", s * 1048576 }')
  ib=0 inv=0
  for top in $s2top $s1top; do
    gz=$work/gz/$top.tar.gz
    run "$logs/build-$sp.out" "$tool" build "$gz" "$work/$top.$sp.bpidx" "$bytes"
    ib=$((ib + $(kv index_bytes "$logs/build-$sp.out")))
    r=()
    for ((i = 0; i < R; i++)); do
      run "$logs/read.out" "$tool" bench "$gz" "$work/$top.$sp.bpidx" "$work/$top.random"
      r+=("$(kv folders_per_cpu_s "$logs/read.out")")
    done
    inv=$(calc "$inv + 1 / $(median "${r[@]}")")
  done
  sp_pct[$sp]=$(calc "100 * $ib / $gz_bytes")
  sp_pairs[$sp]=$(calc "1 / $inv")
done

# --- conversion from archives, when the converter takes them
conv=0 skipped=""
out_root=$(mktemp -d "${TMPDIR:-/tmp}/ben-prep-bench-archive.XXXXXX")
[[ -d /dev/shm && -w /dev/shm ]] && { rmdir "$out_root"; out_root=$(mktemp -d /dev/shm/ben-prep-bench-archive.XXXXXX); }
trap 'rm -rf "$out_root" "$work/x"' EXIT
head -n 1 "$work/random.csv" >"$work/probe.csv"
rm -f "$work/gz/"*.bpidx "$work/tar/"*.bpidx
if "${mpirun[@]}" -np 1 "$BEN_PREP" -r1 "$work/tar/$s1top.tar" -r2 "$work/tar/$s2top.tar" \
    -o "$out_root/probe" -n "$work/probe.csv" -q >"$logs/probe.log" 2>&1; then
  conv=1
else
  skipped="skipped: converter has no archive input
  (ben-prep -r1 X.tar -r2 Y.tar: $(grep -m1 -i 'error' "$logs/probe.log" |
    sed "s/^ben-prep\[0\]: //; s|$work/||g" | cut -c1-200))"
fi
declare -A roots split rate cpurate sc rss
roots[folders]="$work/folders/$s1top $work/folders/$s2top"
roots[tar]="$work/tar/$s1top.tar $work/tar/$s2top.tar"
roots[gz]="$work/gz/$s1top.tar.gz $work/gz/$s2top.tar.gz"
roots[gzo]=${roots[gz]}
for k in folders tar gz; do split[$k]=$work/random.csv; done
split[gzo]=$work/archive.csv
convert() { # LOG NP KIND [WRAPPER...]: KIND's split from KIND's roots, -v
  local log=$1 np=$2 k=$3 r1 r2
  shift 3
  read -r r1 r2 <<<"${roots[$k]}"
  rm -rf "$out_root/run"
  run "$log" "${mpirun[@]}" -np "$np" "$@" "$BEN_PREP" -r1 "$r1" -r2 "$r2" -o "$out_root/run" \
    -n "${split[$k]:-$work/random.csv}" --records-per-shard 50 -v
  rm -rf "$out_root/run"
}
# reader_counts LOG: "members inflated reinflated jumps" summed over the
# archives of the worker's -v lines at close ("archive A: members M, reads R,
# bytes read B, inflated I, reinflated X, jumps J").
reader_counts() {
  sed -n 's/.*archive .*: members \([0-9]*\), reads [0-9]*, bytes read [0-9]*, inflated \([0-9]*\), reinflated \([0-9]*\), jumps \([0-9]*\)$/\1 \2 \3 \4/p' "$1" |
    awk '{ m += $1; i += $2; x += $3; j += $4; n++ } END { if (n) print m, i, x, j }'
}
# e2e KIND: wall seconds of "tar xzf both + convert the folders" (e2e_a,
# the tar xzf part e2e_t) and of "convert the .tar.gz straight, indexes
# built in the run" (e2e_b), KIND's rows.
e2e() {
  local k=$1 t0
  t0=$(date +%s.%N)
  rm -rf "$work/x" && mkdir "$work/x"
  tar -C "$work/x" -xzf "$work/gz/$s2top.tar.gz"
  tar -C "$work/x" -xzf "$work/gz/$s1top.tar.gz"
  e2e_t=$(calc "$(date +%s.%N) - $t0")
  roots[x]="$work/x/$s1top $work/x/$s2top" split[x]=${split[$k]}
  convert "$logs/e2e-x-$k.log" 2 x
  e2e_a=$(calc "$(date +%s.%N) - $t0")
  rm -rf "$work/x"
  rm -f "$work/gz/"*.bpidx
  t0=$(date +%s.%N)
  convert "$logs/e2e-gz-$k.log" 2 "$k"
  e2e_b=$(calc "$(date +%s.%N) - $t0")
}
order_ratio="" twice="" peak="" big_rss=""
if ((conv)); then
  echo "bench-archive: conversion runs, $R each (folders, .tar, .tar.gz in random and in archive order)"
  # Index both kinds first (beside the archives), so the timed runs
  # convert only.
  convert "$logs/warm-gz.log" 2 gz
  convert "$logs/warm-tar.log" 2 tar
  declare -A secs cpus
  kinds=(folders tar gz gzo)
  # The worker rank (rank 1) under GNU time: its CPU seconds and peak RSS.
  # shellcheck disable=SC2016
  wrap='[ "${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && exec /usr/bin/time -f "%U %S %M" -o "$0" "$@"; exec "$@"'
  for ((i = 0; i < R; i++)); do
    for ((j = 0; j < ${#kinds[@]}; j++)); do
      k=${kinds[(i + j) % ${#kinds[@]}]}
      convert "$logs/conv-$k-$i.log" 2 "$k" bash -c "$wrap" "$work/time.worker"
      s=$(sed -n 's/.*done: .* MB, \([0-9.]*\) s (.*/\1/p' "$logs/conv-$k-$i.log")
      [[ -n $s ]] || die "no done line in $logs/conv-$k-$i.log"
      secs[$k]+="$s "
      cpus[$k]+="$(tail -n 1 "$work/time.worker" | awk '{ print $1 + $2 }') "
      m=$(tail -n 1 "$work/time.worker" | awk '{ print $3 }')
      ((m > ${rss[$k]:-0})) && rss[$k]=$m
    done
  done
  # The worker's fixed cost (MPI start-up and shut-down): its CPU in a dry
  # run of the same split, taken off.
  base=()
  for ((i = 0; i < R; i++)); do
    run "$logs/dry-$i.log" "${mpirun[@]}" -np 2 bash -c "$wrap" "$work/time.worker" \
      "$BEN_PREP" --dry-run -q -n "$work/random.csv"
    base+=("$(tail -n 1 "$work/time.worker" | awk '{ print $1 + $2 }')")
  done
  base_cpu=$(median "${base[@]}")
  # shellcheck disable=SC2086
  for k in "${kinds[@]}"; do
    rate[$k]=$(calc "$N / $(median ${secs[$k]})")
    cpurate[$k]=$(calc "$N / ($(median ${cpus[$k]}) - $base_cpu)")
  done
  # The reader's counts (the same in every repetition).
  read -r _ rnd_infl rnd_twice rnd_jumps <<<"$(reader_counts "$logs/conv-gz-0.log")"
  read -r _ ord_infl ord_twice ord_jumps <<<"$(reader_counts "$logs/conv-gzo-0.log")"
  [[ -n ${rnd_infl:-} && -n ${ord_infl:-} ]] ||
    die "no reader counts in the converter's -v output ($logs/conv-gz-0.log)"
  twice=$ord_twice
  # Archive order: tar stream MB inflated per worker CPU second, against the
  # index pass's (S2 + S1 tar stream per CPU second of the pass).
  # shellcheck disable=SC2086
  gzo_mbs=$(calc "$ord_infl / 1e6 / ($(median ${cpus[gzo]}) - $base_cpu)")
  pass_mbs=$(calc "$tar_bytes / 1e6 / (${idx_s[$s2top]} + ${idx_s[$s1top]})")
  order_ratio=$(calc "$gzo_mbs / $pass_mbs")
  # Peak memory on a larger archive (.tar.gz only, archive order, indexed
  # first by ben-prep index).
  if ((mem_n > N)); then
    mw=$work/mem-$mem_n
    mstamp="$mem_n $seed $(md5sum <"$BEN_SYNTH" | cut -c1-32)"
    if [[ ! -f $mw/stamp || $(cat "$mw/stamp") != "$mstamp" ]]; then
      echo "bench-archive: generating $mem_n synthetic patch pairs as .tar.gz in $mw (peak memory)"
      rm -rf "$mw"
      run "$logs/synth-mem.log" "$BEN_SYNTH" -o "$mw" -n "$mem_n" --seed "$seed" --archive gz -q
      archive_order "$mw/$s2top.tar.gz" "$mw/$s1top.tar.gz" "$mw/splits" "$mw/archive.csv" ||
        die "could not put the rows of $mw in archive order"
      echo "$mstamp" >"$mw/stamp"
    fi
    run "$logs/index-mem.log" "${mpirun[@]}" -np 2 "$BEN_PREP" index -q \
      "$mw/$s2top.tar.gz" "$mw/$s1top.tar.gz"
    roots[mem]="$mw/$s1top.tar.gz $mw/$s2top.tar.gz" split[mem]=$mw/archive.csv
    convert "$logs/conv-mem.log" 2 mem bash -c "$wrap" "$work/time.worker"
    big_rss=$(tail -n 1 "$work/time.worker" | awk '{ print $3 }')
  fi
  peak=$(calc "$(printf '%s\n' "${rss[gz]}" "${rss[gzo]}" "${big_rss:-0}" | sort -n | tail -n 1) / 1024")
  # System calls of the worker rank.
  # shellcheck disable=SC2016
  wrap='[ "${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && exec strace -c -f -o "$0" "$@"; exec "$@"'
  if command -v strace >/dev/null; then
    for k in folders tar gz; do
      convert "$logs/strace-$k.log" 2 "$k" bash -c "$wrap" "$work/strace-$k.txt"
      sc[$k]=$(awk '/^-+ / { d++; next } d == 1 && NF >= 5 { s += $4 } END { printf "%.2f\n", s / '"$N"' }' \
        "$work/strace-$k.txt")
    done
  fi
  # End to end, in both orders (medians of R, the orders alternating):
  # extract both archives and convert the folders, against converting the
  # .tar.gz files straight (their indexes built in the run).
  declare -A e2e_ts e2e_xs e2e_gzs
  for ((i = 0; i < R; i++)); do
    orders=(gz gzo)
    if ((i % 2)); then orders=(gzo gz); fi
    for k in "${orders[@]}"; do
      e2e "$k"
      e2e_ts[$k]+="$e2e_t " e2e_xs[$k]+="$e2e_a " e2e_gzs[$k]+="$e2e_b "
    done
  done
fi

# --- the table
f() { if [[ -n $1 ]]; then awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; else echo n/a; fi; }
tar_ratio="" gz_rate="" sc_less=""
if ((conv)); then
  tar_ratio=$(calc "${cpurate[tar]} / ${cpurate[folders]}")
  gz_rate=${cpurate[gz]}
  [[ -n ${sc[tar]:-} ]] && sc_less=$(calc "${sc[tar]} - ${sc[folders]}")
fi
names=("index pass / gzip -dc (throughput, S2 + S1)" "index size, % of the .tar.gz ($DEFAULT_SPACING MiB spacing)"
  "conversion rate .tar / folders (worker CPU)" ".tar.gz, random order, patches/s per worker"
  "system calls per patch pair, .tar - folders"
  ".tar.gz, archive order: throughput / index pass" ".tar.gz, archive order: bytes inflated twice"
  ".tar.gz: worker peak RSS (MB)")
meas=("$(f "$pass_ratio" %.2fx)" "$(f "$index_pct" %.2f%%)" "$(f "$tar_ratio" %.2fx)"
  "$(f "$gz_rate" %.0f)" "$(f "$sc_less" %+.1f)" "$(f "$order_ratio" %.2fx)" "$(f "$twice" %d)"
  "$(f "$peak" %.1f)")
lims=(">= ${T_INDEX_PASS}x" "<= ${T_INDEX_SIZE}%" ">= ${T_TAR_RATE}x" ">= $T_GZ_RATE" "< 0"
  ">= ${T_GZ_ORDER}x" "= 0" "<= $T_GZ_MB")
stat=("$(check "$pass_ratio" ">=" "$T_INDEX_PASS")" "$(check "$index_pct" "<=" "$T_INDEX_SIZE")"
  "$(check "$tar_ratio" ">=" "$T_TAR_RATE")" "$(check "$gz_rate" ">=" "$T_GZ_RATE")"
  "$(check "$sc_less" "<" 0)" "$(check "$order_ratio" ">=" "$T_GZ_ORDER")"
  "$(check "$twice" "<=" 0)" "$(check "$peak" "<=" "$T_GZ_MB")")
{
  echo "archive roots: $N synthetic patch pairs (ben-synth --archive), $R repetitions (medians),"
  echo "warm page cache; index and read figures are CPU seconds of the measured process;"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
  printf 'archives: .tar %.0f MB, .tar.gz %.0f MB; gzip -6 ratio synthetic S2 %.3f S1 %.3f' \
    "$(calc "$tar_bytes / 1e6")" "$(calc "$gz_bytes / 1e6")" "$syn_s2" "$syn_s1"
  [[ -n $real_s2 ]] && printf ', real sample S2 %.3f S1 %.3f' "$real_s2" "$real_s1"
  echo
  for top in $s2top $s1top; do
    mb=$(calc "$(size "$work/tar/$top.tar") / 1e6")
    printf '%-20s gzip -dc %6.3f s (%4.0f MB/s), index pass %6.3f s (%4.0f MB/s): %.2fx\n' "$top" \
      "${gz_s[$top]}" "$(calc "$mb / ${gz_s[$top]}")" "${idx_s[$top]}" "$(calc "$mb / ${idx_s[$top]}")" \
      "$(calc "${gz_s[$top]} / ${idx_s[$top]}")"
  done
  printf '\n%-12s %14s %26s\n' "spacing MiB" "index % of gz" "random pairs/s (reading)"
  for sp in $spacings; do
    printf '%-12s %14.2f %26.0f\n' "$sp" "${sp_pct[$sp]}" "${sp_pairs[$sp]}"
  done
  echo
  if ((conv)); then
    printf '%-36s %18s %18s %14s\n' "conversion, 1 worker (-np 2)," "patches per worker" "patches/s by the" "system calls"
    printf '%-36s %18s %18s %14s\n' "rows in random archive order" "CPU second (*)" "converter's clock" "per pair"
    for k in folders tar gz; do
      printf '%-36s %18.0f %18.0f %14s\n' "from $k" "${cpurate[$k]}" "${rate[$k]}" "$(f "${sc[$k]:-}" %.1f)"
    done
    printf '%-36s %18.0f %18.0f\n' "from gz, rows in archive order" "${cpurate[gzo]}" "${rate[gzo]}"
    printf '(*) less the worker'"'"'s CPU in a dry run (MPI start-up and shut-down): %.3f s\n' "$base_cpu"
    printf 'from gz, archive order: %.0f MB of tar stream inflated per worker CPU second (*),\n' "$gzo_mbs"
    printf '  index pass %.0f MB/s (S2 + S1 tar stream per CPU second): %.2fx\n' "$pass_mbs" "$order_ratio"
    printf 'reader, S2 + S1 (-v): %-16s %16s %18s %8s\n' "" "MB inflated" "inflated twice" "jumps"
    printf '  %-36s %16.1f %18s %8s\n' "from gz, random order" "$(calc "$rnd_infl / 1e6")" \
      "$(f "$rnd_twice" "%.0f B")" "$rnd_jumps"
    printf '  %-36s %16.1f %18s %8s\n' "from gz, archive order" "$(calc "$ord_infl / 1e6")" \
      "$(f "$ord_twice" "%.0f B")" "$ord_jumps"
    printf '  (tar stream of both archives: %.1f MB, %s patch pairs)\n' "$(calc "$tar_bytes / 1e6")" "$N"
    printf 'worker peak RSS from gz (GNU time %%M): N=%s random order %.1f MB, archive order %.1f MB' \
      "$N" "$(calc "${rss[gz]} / 1024")" "$(calc "${rss[gzo]} / 1024")"
    [[ -n $big_rss ]] && printf '; N=%s archive order %.1f MB' "$mem_n" "$(calc "$big_rss / 1024")"
    echo
    echo "end to end, one worker: wall time, median [range] of $R"
    # shellcheck disable=SC2086
    for k in gz gzo; do
      if [[ $k == gz ]]; then echo "  rows in random archive order:"; else echo "  rows in archive order:"; fi
      printf '    tar xzf both %.1f s [%s] + convert the folders = %.1f s [%s];\n' "$(median ${e2e_ts[$k]})" \
        "$(range ${e2e_ts[$k]})" "$(median ${e2e_xs[$k]})" "$(range ${e2e_xs[$k]})"
      printf '    convert the .tar.gz straight (indexing included) %.1f s [%s]: %.2fx the time\n' \
        "$(median ${e2e_gzs[$k]})" "$(range ${e2e_gzs[$k]})" \
        "$(calc "$(median ${e2e_gzs[$k]}) / $(median ${e2e_xs[$k]})")"
    done
  else
    echo "conversion from archives: $skipped"
  fi
  printf '\n%-48s %10s %10s  %s\n' target measured target result
  for i in "${!names[@]}"; do
    printf '%-48s %10s %10s  %s\n' "${names[i]}" "${meas[i]}" "${lims[i]}" "${stat[i]}"
  done
  printf '%d s in all\n' $(($(date +%s) - started))
} | tee "$work/archive.txt"
