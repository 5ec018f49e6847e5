#!/usr/bin/env bash
# Rank 0's load against the number of workers, on this one host: build
# ben-prep if needed, generate a synthetic archive, convert it with
# mpirun -np W+1 --oversubscribe for each worker count W, and print a table
# of rank 0's CPU and the MPI messages it took and sent per chunk. Not part
# of ctest or CI; the figures are in README.md, "Running on several nodes".
#
#   scripts/rank0-load.sh [WORKERS...]      (default: 2 4 8 16)
#
# Environment: RANK0_N (patch pairs, default 2000), RANK0_RPS (records per
# shard, default 10: many chunks per worker), RANK0_R (runs per worker
# count, default 1; one table row each), RANK0_DIR (work folder, default
# build/rank0-load; the archive is kept there and reused), RANK0_OUT (the
# output folder, default on /dev/shm so that the disk is not what is
# measured; deleted after each run).
#
# Where the figures come from:
# - wall s, rank-0 CPU s, rank-0 % of wall: rank 0's own account over the
#   conversion, its summary line ("rank 0 used X s of CPU (Y% of the run)",
#   getrusage; the figure scripts/bench.sh judges);
# - rank-0 % of all CPU: each rank's whole process (MPI start-up included)
#   under GNU time, rank 0's user+sys over the sum of all ranks';
# - messages: rank 0's count of what it took (requests, signs of life) and
#   sent (work, stop, abort), printed at -v at the end of the dispatch,
#   divided by the chunks handed out. The runs use -v for that line: one
#   more debug line per chunk on rank 0, a negligible cost.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build
n=${RANK0_N:-2000}
rps=${RANK0_RPS:-10}
reps=${RANK0_R:-1}
dir=${RANK0_DIR:-$build/rank0-load}
workers=("$@")
((${#workers[@]})) || workers=(2 4 8 16)
for w in "${workers[@]}"; do
  [[ $w =~ ^[1-9][0-9]*$ ]] || { echo "rank0-load: not a worker count: $w" >&2; exit 2; }
done
if [[ -z ${RANK0_OUT:-} ]]; then
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    RANK0_OUT=/dev/shm/ben-prep-rank0-load.$$
  else
    RANK0_OUT=$dir/out
  fi
fi
out=$RANK0_OUT
command -v /usr/bin/time >/dev/null || { echo "rank0-load: needs GNU time (apt-get install time)" >&2; exit 1; }

[[ -x $build/ben-prep && -x $build/ben-synth ]] || "$here/scripts/setup.sh" "$build"

mpi_flags=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)

archive=$dir/archive-$n
mkdir -p "$dir"
if [[ ! -f $archive/.done ]]; then
  echo "rank0-load: generating $n patch pairs in $archive"
  rm -rf "$archive"
  "$build/ben-synth" -q -o "$archive" -n "$n"
  touch "$archive/.done"
fi

trap 'rm -rf "$out"' EXIT

# Each rank under GNU time, its figures in DIR/time.RANK.
# shellcheck disable=SC2016 # expanded by the rank's shell
wrap='d=$1; shift
exec /usr/bin/time -f "%e %U %S %w" -o "$d/time.${OMPI_COMM_WORLD_RANK:-0}" "$@"'

rows=()
for w in "${workers[@]}"; do
  for ((i = 1; i <= reps; i++)); do
    t=$dir/run-$w-$i
    rm -rf "$t" "$out"
    mkdir -p "$t"
    cmd=(mpirun "${mpi_flags[@]}" -np $((w + 1)) bash -c "$wrap" _ "$t"
      "$build/ben-prep" -r1 "$archive/BigEarthNet-S1-v1.0"
      -r2 "$archive/BigEarthNet-v1.0" -o "$out"
      -n "$archive/splits/train.csv" "$archive/splits/val.csv" "$archive/splits/test.csv"
      --records-per-shard "$rps" --progress 0 -v)
    echo "rank0-load: $w workers, run $i: mpirun -np $((w + 1)) --oversubscribe ben-prep ... --records-per-shard $rps --progress 0 -v"
    if ! "${cmd[@]}" >"$t/log" 2>&1; then
      echo "rank0-load: the run failed; its log: $t/log" >&2
      tail -n 20 "$t/log" >&2
      exit 1
    fi
    summary=$(grep -m1 'ben-prep\[0\]: info: summary:' "$t/log" || true)
    msgs=$(grep -m1 'ben-prep\[0\]: debug: messages:' "$t/log" || true)
    if [[ -z $summary || -z $msgs ]]; then
      echo "rank0-load: no summary or message count in $t/log" >&2
      exit 1
    fi
    # summary: ..., WALL s, ... patches/s, ...; rank 0 used CPU s of CPU (PCT% of the run)
    wall=$(sed -n 's/.* bytes, \([0-9.]*\) s, .*/\1/p' <<<"$summary")
    cpu0=$(sed -n 's/.*rank 0 used \([0-9.]*\) s of CPU.*/\1/p' <<<"$summary")
    pct0=$(sed -n 's/.*s of CPU (\([0-9.]*\)% of the run).*/\1/p' <<<"$summary")
    # messages: rank 0 took IN (R requests, A signs of life) and sent OUT (...) for C chunks ...: X per chunk
    chunks=$(sed -n 's/.* for \([0-9]*\) chunks handed out.*/\1/p' <<<"$msgs")
    alive=$(sed -n 's/.*requests, \([0-9]*\) signs of life.*/\1/p' <<<"$msgs")
    per=$(sed -n 's/.*: \([0-9.]*\) per chunk$/\1/p' <<<"$msgs")
    share=$(awk '{ c = $2 + $3; all += c; if (FILENAME ~ /time\.0$/) r0 = c }
      END { if (all > 0) printf "%.1f", 100 * r0 / all; else print "n/a" }' "$t"/time.*)
    # rank 0's voluntary context switches (its naps and blocking calls) per
    # second of its whole process
    wakes=$(awk '{ if ($1 > 0) printf "%.0f", $4 / $1; else print "n/a" }' "$t/time.0")
    timed=("$t"/time.*)
    nfiles=${#timed[@]}
    ((nfiles == w + 1)) || { echo "rank0-load: $nfiles of $((w + 1)) ranks timed" >&2; exit 1; }
    rows+=("$(awk -v w="$w" -v c="$chunks" -v wall="$wall" -v cpu="$cpu0" -v pct="$pct0" \
      -v share="$share" -v per="$per" -v al="$alive" -v wk="$wakes" 'BEGIN {
        printf "%7d %6d %7.2f %10.2f %10.1f%% %10s%% %8.2f %7.2f %8s %s\n", w, c, wall, cpu, pct,
          share, per, (c > 0 ? al / c : 0), wk, (pct < 10 ? "yes" : "NO") }')")
    rm -rf "$out"
  done
done

echo
echo "rank 0's load: $n patch pairs, $rps records per shard, one host ($(nproc) cores), mpirun -np W+1 --oversubscribe"
printf "%7s %6s %7s %10s %11s %11s %8s %7s %8s %s\n" workers chunks "wall s" "rank-0 CPU" "% of wall" "% all CPU" "msg/chk" "alive/c" "r0 cs/s" "<10%"
printf "%s\n" "${rows[@]}"
echo "wall s, rank-0 CPU s and % of wall: rank 0's own account over the conversion (summary line);"
echo "% all CPU: rank 0's whole process over all ranks' (GNU time, start-up included);"
echo "msg/chk: messages rank 0 took and sent per chunk (alive/c of them signs of life);"
echo "r0 cs/s: rank 0's voluntary context switches per second (its naps while it waits); logs in $dir/run-*"
